import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose kill`: sends a signal (SIGKILL by default) to the
/// project's running containers, like `docker compose kill`.
struct ComposeKillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Force stop service containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "SIGNAL to send to the container.") var signal = "SIGKILL"
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false
    @Argument(help: "Services to kill.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose kill")
        guard let number = SignalName.parse(signal) else { throw UserError("invalid signal: \(signal)") }
        let session = try ProjectSession(project, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let all = try session.driver.containers(of: services)
        let known = Set(session.project.services.map(\.name))
        let driver = session.driver
        let progress = ProgressPrinter()
        try await composeErrors {
            if removeOrphans {
                for orphan in all where !known.contains(orphan.actual.service) {
                    progress.update("Container", orphan.record.name, .working("Removing"))
                    try await driver.remove(orphan.record.name, volumes: false)
                    progress.update("Container", orphan.record.name, .done("Removed"))
                }
            }
            let running = all.filter {
                isUp($0.actual.status) && (known.contains($0.actual.service) || !removeOrphans)
            }
            try await session.inWaves(session.graph.stopWaves(), running) { record in
                progress.update("Container", record.name, .working("Killing"))
                try await driver.kill(record.name, signal: number)
                progress.update("Container", record.name, .done("Killed"))
            }
        }
        progress.finish()
    }
}
