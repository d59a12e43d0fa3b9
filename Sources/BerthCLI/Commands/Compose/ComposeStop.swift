import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose stop`: stops the project's running containers without
/// removing them, dependents first, like `docker compose stop`.
struct ComposeStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop services.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds.") var timeout: Int?
    @Argument(help: "Services to stop.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose stop")
        let session = try ProjectSession(project, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let entries = try session.driver.containers(of: services).filter { isUp($0.actual.status) }
        let driver = session.driver
        let timeout = self.timeout
        let progress = ProgressPrinter()
        try await composeErrors {
            try await session.inWaves(session.graph.stopWaves(), entries) { record in
                progress.update("Container", record.name, .working("Stopping"))
                try await driver.stop(record.name, timeout: timeout)
                progress.update("Container", record.name, .done("Stopped"))
            }
        }
        progress.finish()
    }
}
