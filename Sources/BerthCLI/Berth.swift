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

    /// For `main.swift`, before its first `await` (so on the main thread):
    /// parses the command line and runs a command that asks for the main
    /// thread (`MainThreadCommand`) right here, exiting; any other command
    /// is returned for `run(parsed:)`. The main thread's allocator grows its
    /// heap in large steps where a worker thread's arena calls `mprotect`
    /// for every few pages (about a thousand times for a 200-service `config`).
    public static func parseRunningOnMainThread(arguments: [String]? = nil) -> any ParsableCommand {
        let argv = GlobalOptions.hoist(arguments ?? Array(CommandLine.arguments.dropFirst()))
        // `run` spawns its container's monitor meanwhile.
        RunMonitorAhead.start(argv)
        let command = parse(argv)
        // `config` (what the fast path returns) and `run` are matched by
        // their types first: a cast to a protocol makes the runtime scan every
        // protocol conformance record of the binary (~0.05–0.1 ms).
        guard var direct = (command as? ConfigCommand).map({ $0 as any MainThreadCommand })
                ?? (command as? RunCommand).map({ $0 as any MainThreadCommand })
                ?? command as? any MainThreadCommand else {
            return command
        }
        do {
            try direct.run()
            exit(withError: nil)
        } catch {
            fail(error)
        }
    }

    /// Runs a command from `parse`/`parseRunningOnMainThread`.
    public static func run(parsed: any ParsableCommand) async -> Never {
        var command = parsed
        do {
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch {
            fail(error)
        }
    }

    /// The parsed command; usage errors, `--help` and `--version` exit here.
    /// Parses `argv` (global options hoisted, see `GlobalOptions.hoist`).
    static func parse(_ argv: [String]) -> any ParsableCommand {
        do {
            if let config = ConfigFastPath.parse(argv) { return config }
            if let run = RunFastPath.parse(argv) { return run }
            return try parseAsRoot(argv)
        } catch {
            fail(error)
        }
    }

    /// Renders `error` and exits with its code.
    static func fail(_ error: any Error) -> Never {
        let code = ErrorRendering.render(error)
        if let code { exitProcess(code) }
        exit(withError: error)
    }
}

/// A synchronous command that runs on the main thread (see
/// `Berth.parseRunningOnMainThread`): one that only computes and prints,
/// never waits on tasks or actors.
protocol MainThreadCommand: ParsableCommand {}

/// docker compose accepts its global options before the subcommand
/// (`berth -f a.yaml -p demo up`); ArgumentParser reads options after the
/// subcommand that declares them. `hoist` moves leading global options
/// behind the subcommand name (and behind `compose <sub>`).
enum GlobalOptions {
    static let withValue: Set<String> = [
        "-f", "--file", "-p", "--project-name", "--project-directory", "--profile", "--env-file",
        "--ansi", "--progress", "--root", "--parallel",
    ]
    static let flags: Set<String> = ["--dry-run", "--compatibility", "--all-resources"]

    static func hoist(_ args: [String]) -> [String] {
        if args.first == "compose" {
            let rest = hoist(Array(args.dropFirst()))
            return rest == Array(args.dropFirst()) ? args : ["compose"] + rest
        }
        var globals: [String] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            let name = arg.split(separator: "=", maxSplits: 1).first.map(String.init) ?? arg
            if withValue.contains(name) {
                if arg.contains("=") || i + 1 >= args.count {
                    globals.append(arg)
                    i += 1
                } else {
                    // The long form, so a command's own `-f` (logs --follow) or
                    // `-p` (compose run --publish) cannot take it.
                    globals += [arg == "-f" ? "--file" : arg == "-p" ? "--project-name" : arg, args[i + 1]]
                    i += 2
                }
            } else if flags.contains(arg) {
                globals.append(arg)
                i += 1
            } else {
                break
            }
        }
        guard !globals.isEmpty, i < args.count else { return args }
        var head = [args[i]]
        i += 1
        if head[0] == "compose", i < args.count, !args[i].hasPrefix("-") {
            head.append(args[i])
            i += 1
        }
        return head + globals + args[i...]
    }
}

public enum BerthVersion {
    public static let current = "0.1.0"
}
