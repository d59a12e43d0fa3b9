import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose wait SERVICE…`: blocks until the services' containers
/// stop, printing each exit code (`container "<id>" exited with status
/// code N`); exits with the last code seen. With
/// `--down-project`, the first exit takes the whole project down.
struct ComposeWaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers of all (or specified) services stop.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .customLong("down-project"), help: "Drops project when the first container stops") var downProject = false
    @Argument(help: "Services to wait for.") var services: [String]

    func run() async throws {
        try requireRoot("berth compose wait")
        let session = try ProjectSession(project, state)
        try session.check(services)
        // As Compose: the running containers (a one-shot that already ended is not waited for).
        var pending = try session.driver.containers(of: services).filter { isUp($0.actual.status) }
        if pending.isEmpty { throw UserError("no containers for project \"\(session.project.name)\"") }
        var code: Int32 = 0
        while !pending.isEmpty {
            var still: [ProjectSession.Entry] = []
            for entry in pending {
                // A container removed while we wait counts as gone.
                guard let current = try? session.driver.state(entry.record) else { continue }
                if current.isActive {
                    still.append(entry)
                    continue
                }
                writeStdout("container \"\(entry.record.id)\" exited with status code \(current.exitCode)\n")
                code = current.exitCode
            }
            if downProject && still.count < pending.count {
                try await Self.down(session)
                break
            }
            pending = still
            if !pending.isEmpty { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// `down` for `--down-project`: the project's containers (dependents
    /// first), then its networks.
    static func down(_ session: ProjectSession) async throws {
        let lock = try session.lock()
        defer { lock.release() }
        let driver = session.driver
        let progress = ProgressPrinter()
        try await composeErrors {
            try await session.inWaves(session.graph.stopWaves(), try driver.actualContainers()) { record in
                progress.update("Container", record.name, .working("Stopping"))
                try await driver.stop(record.name, timeout: nil)
                progress.update("Container", record.name, .working("Removing"))
                try await driver.remove(record.name, volumes: false)
                progress.update("Container", record.name, .done("Removed"))
            }
            for network in try driver.removeNetworks() {
                progress.update("Network", network, .done("Removed"))
            }
        }
        progress.finish()
    }
}
