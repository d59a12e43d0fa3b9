import ArgumentParser

enum SystemCommands {
    static var all: [ParsableCommand.Type] { [VersionCommand.self] }
}
