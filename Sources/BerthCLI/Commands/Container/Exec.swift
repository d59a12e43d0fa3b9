import ArgumentParser
import Diagnostics
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND...`:
/// exits with the command's status (126/127 when it cannot run).
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container")
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY") var tty = false
    @Flag(name: .shortAndLong, help: "Detached mode: run command in the background") var detach = false
    @Option(name: .shortAndLong, help: "Set environment variables") var env: [String] = []
    @Option(name: .shortAndLong, help: "Username or UID (format: <name|uid>[:<group|gid>])") var user: String?
    @Option(name: .shortAndLong, help: "Working directory inside the container") var workdir: String?
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("CONTAINER COMMAND [ARG...]", valueName: "container"))
    var containerAndCommand: [String] = []

    func run() throws {
        try requireRoot("berth exec")
        guard containerAndCommand.count >= 2 else {
            throw UserError("\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.")
        }
        if tty && interactive && !detach { try requireTerminalInput() }
        let ctx = ContainerContext(state)
        let record = try ctx.lookup(containerAndCommand[0])
        let extra = EnvFile.resolve(env)
        let request = ExecRequest(argv: Array(containerAndCommand.dropFirst()), env: extra, user: user,
                                  workingDir: workdir, tty: tty)
        try Self.perform(ctx, record, request, detach: detach, interactive: interactive)
    }

    /// Runs `request` in the running container as `berth exec` and
    /// `berth compose exec` do: detached, on a pty (`request.tty`), or with
    /// this process's stdio (stdin only when `interactive`). Attached, it
    /// ends by throwing the command's exit code.
    static func perform(_ ctx: ContainerContext, _ record: ContainerRecord, _ request: ExecRequest,
                        detach: Bool, interactive: Bool) throws {
        if detach {
            // Nobody would hold a terminal's master once berth exits (the
            // process would get SIGHUP): detached, it runs without one.
            var detached = request
            detached.tty = false
            _ = try translated(exitCode: 126) {
                try ctx.operations.exec(record, detached, stdio: LaunchStdio())
            }
            return
        }
        if request.tty {
            try runWithPty(ctx, record, request, interactive: interactive)
        }
        let process = try translated(exitCode: 126) {
            try ctx.operations.exec(record, request, stdio: LaunchStdio(stdin: interactive ? 0 : -1, stdout: 1, stderr: 2))
        }
        throw ExitCode(Self.wait(process.pid))
    }

    static func wait(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 125 }
        }
        return ContainerMonitor.exitCode(status)
    }

    /// `-t`: the process gets a terminal from the container's own devpts,
    /// sized like this one; this terminal (raw with `-i`) is copied to and
    /// from its master, window changes follow.
    private static func runWithPty(_ ctx: ContainerContext, _ record: ContainerRecord, _ request: ExecRequest,
                                   interactive: Bool) throws -> Never {
        let size = TerminalSession.windowSize() ?? .standard
        let process = try translated(exitCode: 126) {
            try ctx.operations.exec(record, request, stdio: .terminal(size))
        }
        Glibc.exit(AttachClient.relay(master: process.ptyMaster, pid: process.pid, stdin: interactive))
    }
}

/// `berth pause CONTAINER...` / `berth unpause CONTAINER...` (cgroup freezer).
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause all processes within one or more containers")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws { try Self.setPaused(containers, true, state: state) }

    /// Freezes (or thaws) each container, printing its reference like Docker.
    static func setPaused(_ containers: [String], _ paused: Bool, state: StateOptions) throws {
        try requireRoot(paused ? "berth pause" : "berth unpause")
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            try ctx.operations.setPaused(try ctx.store.lookup(ref), paused)
            print(ref)
        }
    }
}

struct UnpauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause all processes within one or more containers")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws { try PauseCommand.setPaused(containers, false, state: state) }
}

/// `-it` attached to an input that is not a terminal is Docker's client-side
/// error (checked before anything is created): a pty would relay a pipe's
/// bytes with line editing and echo, which is never what a script wants.
func requireTerminalInput() throws {
    if isatty(0) == 0 { throw UserError("the input device is not a TTY") }
}
