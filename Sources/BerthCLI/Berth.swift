// BerthCLI owns the command line: argument parsing, output layout, progress
// and error rendering. It holds no orchestration logic of its own; commands
// call into the library modules and render what comes back.
import ArgumentParser
import Diagnostics

/// The `berth` root command. Subcommands are listed per area in
/// `Commands/<Area>/<Area>Commands.swift`.
public struct Berth: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A daemonless, Compose-first multi-service orchestrator for Linux.",
        version: BerthVersion.current,
        subcommands: CommandGroups.all
    )

    public init() {}

    /// The process entry point: parses, runs, and renders every error in one place.
    public static func run(arguments: [String]? = nil) async -> Never {
        do {
            // `berth -f x.yaml up` (docker compose word order) → `berth up -f x.yaml`.
            let given = arguments ?? Array(CommandLine.arguments.dropFirst())
            var command = try parseAsRoot(ProjectOptions.hoisted(given))
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch {
            let code = ErrorRendering.render(error)
            if let code { exitProcess(code) }
            exit(withError: error)
        }
    }
}

public enum BerthVersion {
    public static let current = "0.1.0"
}
