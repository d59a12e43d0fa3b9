import ArgumentParser

enum ComposeCommands {
    /// The Compose commands. Each is available as `berth <cmd>` and as
    /// `berth compose <cmd>`, so `docker compose` habits carry over.
    static var subcommands: [ParsableCommand.Type] { [ConfigCommand.self, UpCommand.self, DownCommand.self] }

    /// Compose commands whose names Docker's container commands already use
    /// at the top level (`ps`, `logs`): only as `berth compose <cmd>`.
    static var groupOnly: [ParsableCommand.Type] { [ComposePsCommand.self, ComposeLogsCommand.self,
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
