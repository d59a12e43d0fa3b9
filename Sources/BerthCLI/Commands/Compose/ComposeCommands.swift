import ArgumentParser

enum ComposeCommands {
    /// The Compose commands. Each is available as `berth <cmd>` and as
    /// `berth compose <cmd>`, so `docker compose` habits carry over.
    static var subcommands: [ParsableCommand.Type] { [ConfigCommand.self, UpCommand.self, DownCommand.self] }

    /// Compose commands whose names Docker's container commands already use
    /// at the top level (`ps`, `logs`): only as `berth compose <cmd>`.
    static var groupOnly: [ParsableCommand.Type] { [ComposePsCommand.self, ComposeLogsCommand.self,
        ComposeStartCommand.self, ComposeStopCommand.self, ComposeRestartCommand.self, ComposeKillCommand.self,
        ComposeRmCommand.self, ComposePauseCommand.self, ComposeUnpauseCommand.self, ComposeTopCommand.self,
        ComposePortCommand.self, ComposeImagesCommand.self, ComposeWaitCommand.self, ComposeLsCommand.self,
        ComposeEventsCommand.self,
        ComposeExecCommand.self, ComposeRunCommand.self, ComposeCpCommand.self] }

    static var all: [ParsableCommand.Type] { subcommands + [ComposeGroupCommand.self] }
}

/// `berth compose …`: the same Compose commands under a `compose` group.
struct ComposeGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose",
        abstract: "Compose commands (also available directly as `berth <command>`).",
        subcommands: ComposeCommands.subcommands + ComposeCommands.groupOnly)
}
