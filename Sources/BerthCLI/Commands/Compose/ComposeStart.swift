import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose start`: starts the project's existing, stopped
/// containers, dependencies first, like `docker compose start`.
struct ComposeStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start services.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Argument(help: "Services to start.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose start")
        let session = try ProjectSession(project, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let entries = try session.driver.containers(of: services)
        // As Compose: every service asked for (all by default) needs a container.
        for service in services.isEmpty ? session.graph.topologicalOrder : services
        where !entries.contains(where: { $0.actual.service == service }) {
            throw UserError("service \"\(service)\" has no container to start")
        }
        let driver = session.driver
        let progress = ProgressPrinter()
        try await composeErrors {
            try await session.inWaves(session.graph.startWaves(), entries.filter { !isUp($0.actual.status) }) { record in
                progress.update("Container", record.name, .working("Starting"))
                try await driver.start(record.name)
                progress.update("Container", record.name, .done("Started"))
            }
        }
        progress.finish()
    }
}
