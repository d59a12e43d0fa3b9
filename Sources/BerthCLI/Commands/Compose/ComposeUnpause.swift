import ArgumentParser

/// `berth compose unpause`: thaws the project's paused containers.
struct ComposeUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause services.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Argument(help: "Services to unpause.") var services: [String] = []

    func run() async throws {
        try await ComposePauseCommand.change(project, state, services, pause: false)
    }
}
