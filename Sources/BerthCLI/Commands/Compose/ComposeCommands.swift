import ArgumentParser

enum ComposeCommands {
    static var all: [ParsableCommand.Type] { [] }
}
