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
        let host = processEnvironment()
        let extra = env.compactMap { e -> String? in
            e.contains("=") ? e : host[e].map { "\(e)=\($0)" }
        }
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

/// `berth stats --no-stream [CONTAINER...]`: one sample from each cgroup.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a snapshot of containers' resource usage")
    @OptionGroup var state: StateOptions
    @Flag(name: .customLong("no-stream"), help: "Disable streaming stats and only pull the first result") var noStream = false
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
    @Option(name: .long, help: "Format output: 'table' or 'json'") var format: String = "table"
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String] = []

    func run() throws {
        try requireRoot("berth stats")
        guard noStream else { throw UserError("berth stats streams only with --no-stream in this version") }
        let ctx = ContainerContext(state)
        var records: [ContainerRecord] = []
        if containers.isEmpty {
            for r in try ctx.store.all() {
                if all || ((try? ctx.operations.snapshot(r))?.state.isActive ?? false) { records.append(r) }
            }
        } else {
            for ref in containers { records.append(try ctx.lookup(ref)) }
        }
        // CPU % needs two readings, as Docker's first --no-stream line does.
        let first = records.map { ctx.operations.cgroup(of: $0)?.stats() }
        let t0 = monotonicSeconds()
        if !records.isEmpty { usleep(500_000) }
        let elapsed = monotonicSeconds() - t0
        let cpus = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let total = Double(sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)))
        var rows = [["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]]
        var json: [RecordJSON] = []
        for (i, r) in records.enumerated() {
            let s = ctx.operations.cgroup(of: r)?.stats()
            var cpu = 0.0
            if let a = first[i]?.cpuUsageNanoseconds, let b = s?.cpuUsageNanoseconds, b >= a, elapsed > 0 {
                cpu = Double(b - a) / (elapsed * 1e9) * 100
            }
            let used = Double(s?.memoryUsage ?? 0)
            var limit = Double(s?.memoryLimit ?? 0)
            if limit <= 0 || limit > total { limit = total }
            let memPct = limit > 0 ? used / limit * 100 : 0
            // Network I/O from the container's namespace (none of its own with
            // `network_mode: host`, as Docker shows 0B), block I/O from its cgroup.
            var net = IOUsage()
            if r.host.networkMode != "host", let pid = (try? ctx.operations.snapshot(r))?.state.pid, pid > 0 {
                net = IOUsage.network(pid: pid) ?? IOUsage()
            }
            let block = s?.blockIO ?? IOUsage()
            let row = [r.shortID, r.name, percent(cpu, cpus: cpus), "\(bytes(used)) / \(bytes(limit))", percent(memPct),
                       "\(Self.ioText(net))", "\(Self.ioText(block))", String(s?.pids ?? 0)]
            rows.append(row)
            json.append(.object([("BlockIO", .string(row[6])), ("CPUPerc", .string(row[2])), ("Container", .string(r.shortID)),
                                 ("ID", .string(r.shortID)), ("MemPerc", .string(row[4])), ("MemUsage", .string(row[3])),
                                 ("Name", .string(r.name)), ("NetIO", .string(row[5])), ("PIDs", .string(row[7]))]))
        }
        if format == "json" {
            for j in json { print(j.compact) }
        } else {
            writeStdout(renderTable(rows))
        }
    }

    private func percent(_ v: Double, cpus: Double = 1) -> String {
        let hundredths = Int((v * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
    }

    /// NET I/O and BLOCK I/O as Docker prints them: decimal units, three
    /// significant digits (`1.45kB / 648B`).
    static func ioText(_ u: IOUsage) -> String {
        "\(humanSize(Int64(clamping: u.read))) / \(humanSize(Int64(clamping: u.write)))"
    }

    /// Docker's binary units: `1.5MiB`, `64MiB`, `7.6GiB`.
    private func bytes(_ v: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = v
        var i = 0
        while value >= 1024 && i < units.count - 1 { value /= 1024; i += 1 }
        if i == 0 { return "\(Int(value))B" }
        let tenths = Int((value * 100).rounded())
        var text = "\(tenths / 100)"
        let frac = tenths % 100
        if frac != 0 { text += "." + (frac < 10 ? "0\(frac)" : (frac % 10 == 0 ? "\(frac / 10)" : "\(frac)")) }
        return text + units[i]
    }
}

/// `-it` attached to an input that is not a terminal is Docker's client-side
/// error (checked before anything is created): a pty would relay a pipe's
/// bytes with line editing and echo, which is never what a script wants.
func requireTerminalInput() throws {
    if isatty(0) == 0 { throw UserError("the input device is not a TTY") }
}
