import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose restart`: restarts the project's containers in
/// dependency order, like `docker compose restart`. Named services bring
/// along the services that declare `depends_on: {restart: true}` on them,
/// unless `--no-deps`.
struct ComposeRestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart service containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds.") var timeout: Int?
    @Flag(name: .customLong("no-deps"), help: "Don't restart dependent services.") var noDeps = false
    @Argument(help: "Services to restart.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose restart")
        let session = try ProjectSession(project, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let selected = noDeps || services.isEmpty ? services
            : Self.withRestartDependents(services, in: session.project)
        let entries = try session.driver.containers(of: selected)
        let driver = session.driver
        let timeout = self.timeout
        let progress = ProgressPrinter()
        try await composeErrors {
            try await session.inWaves(session.graph.startWaves(), entries) { record in
                progress.update("Container", record.name, .working("Restarting"))
                try await driver.restart(record.name, timeout: timeout)
                progress.update("Container", record.name, .done("Started"))
            }
        }
        progress.finish()
    }

    /// `services` and, transitively, the services whose `depends_on` on
    /// one of them says `restart: true`.
    static func withRestartDependents(_ services: [String], in project: Project) -> [String] {
        var result = Set(services)
        var queue = services
        while let name = queue.popLast() {
            for service in project.services where service.dependsOn[name]?.restart == true {
                if result.insert(service.name).inserted { queue.append(service.name) }
            }
        }
        return result.sorted()
    }
}
