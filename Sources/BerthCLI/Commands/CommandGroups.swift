import ArgumentParser

/// Every subcommand of `berth`, grouped by area. Each area owns its list in
/// `Commands/<Area>/<Area>Commands.swift`.
enum CommandGroups {
    static var all: [ParsableCommand.Type] {
        ComposeCommands.all + SystemCommands.all + ImageCommands.all + ContainerCommands.all + NetworkCommands.all
    }
}
