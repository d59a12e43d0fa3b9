import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose pause`: freezes the processes of the project's running
/// containers (cgroup freezer), like `docker compose pause`.
struct ComposePauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause services.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Argument(help: "Services to pause.") var services: [String] = []

    func run() async throws {
        try await ComposePauseCommand.change(project, state, services, pause: true)
    }

    /// Pauses (or unpauses) the selected containers that are running (or paused).
    static func change(_ project: ProjectOptions, _ state: StateOptions, _ services: [String], pause: Bool) async throws {
        try requireRoot(pause ? "berth compose pause" : "berth compose unpause")
        let session = try ProjectSession(project, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let entries = try session.driver.containers(of: services).filter {
            pause ? $0.actual.status == .running : $0.actual.status == .paused
        }
        let driver = session.driver
        let progress = ProgressPrinter()
        try await composeErrors {
            try await session.inWaves(pause ? session.graph.stopWaves() : session.graph.startWaves(), entries) { record in
                progress.update("Container", record.name, .working(pause ? "Pausing" : "Unpausing"))
                if pause { try driver.pause(record.name) } else { try driver.unpause(record.name) }
                progress.update("Container", record.name, .done(pause ? "Paused" : "Unpaused"))
            }
        }
        progress.finish()
    }
}
