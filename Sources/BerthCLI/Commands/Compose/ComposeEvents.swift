import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose events`: streams the lifecycle events of the project's
/// containers (create, start, die, stop, pause, unpause, destroy,
/// health_status) until interrupted. There is no daemon to push them:
/// berth polls the store every 100 ms and prints what changed between
/// two polls (ContainerEvents.diff).
struct ComposeEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Receive real time events from containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .long, help: "Output events as a stream of json objects") var json = false
    @Argument(help: "Services to watch.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose events")
        let session = try ProjectSession(project, state)
        try session.check(services)
        var previous = try await session.driver.eventSnapshots(services: services)
        while true {
            try await Task.sleep(nanoseconds: 100_000_000)
            let current = try await session.driver.eventSnapshots(services: services)
            let events = ContainerEvents.diff(previous, current, now: .now())
            if !events.isEmpty {
                writeStdout(events.map { (json ? $0.json : $0.line) + "\n" }.joined())
            }
            previous = current
        }
    }
}
