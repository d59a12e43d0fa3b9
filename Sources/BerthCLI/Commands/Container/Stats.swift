import ArgumentParser
import Diagnostics
import Runtime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM count while `berth stats` streams; the handlers only bump them.
private let statsInterrupts = Atomic<Int>(0)
private let statsTerminations = Atomic<Int>(0)

/// `berth stats [--no-stream] [-a] [--format table|json] [CONTAINER...]`.
/// Streaming (the default, as Docker) redraws the table about every second:
/// on a terminal with Docker's clear-screen escape, otherwise one whole table
/// (header first) per interval; `--format json` prints one line per container
/// per interval. CPU % is the cgroup's CPU time between two samples over the
/// wall time between them. Ctrl-C (SIGINT) ends it with 130 and SIGTERM with
/// 143, the statuses a shell reports for Docker's CLI killed by those signals.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a live stream of containers' resource usage statistics")
    @OptionGroup var state: StateOptions
    @Flag(name: .customLong("no-stream"), help: "Disable streaming stats and only pull the first result") var noStream = false
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
    @Option(name: .long, help: "Format output: 'table' or 'json'") var format: String = "table"
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String] = []

    /// The first frame comes after half a second (as `--no-stream`), later ones every second.
    static let firstInterval = 0.5
    static let interval = 1.0

    func run() throws {
        try requireRoot("berth stats")
        guard format == "table" || format == "json" else {
            throw UserError("unsupported --format \"\(format)\": use 'table' or 'json'")
        }
        let ctx = ContainerContext(state)
        // Named containers must exist when stats starts (Docker's "No such container").
        var records = try select(ctx, strict: true)
        if noStream {
            let before = sample(ctx, records)
            let t0 = monotonicSeconds()
            if !records.isEmpty { usleep(UInt32(Self.firstInterval * 1_000_000)) }
            emit(frame(ctx, records, before: before, after: sample(ctx, records), elapsed: monotonicSeconds() - t0), clear: false)
            return
        }
        signal(SIGINT) { _ in statsInterrupts.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in statsTerminations.add(1, ordering: .relaxed) }
        let clear = format == "table" && isatty(1) == 1
        var before = sample(ctx, records)
        var t0 = monotonicSeconds()
        var wait = Self.firstInterval
        while true {
            if let code = sleepUnlessSignalled(wait) { throw ExitCode(code) }
            wait = Self.interval
            // Removed containers drop out; without names, new ones join.
            records = (try? select(ctx, strict: false)) ?? records
            let after = sample(ctx, records)
            let now = monotonicSeconds()
            emit(frame(ctx, records, before: before, after: after, elapsed: now - t0), clear: clear)
            before = after
            t0 = now
        }
    }

    /// Sleeps `seconds` in short slices; the exit status when a signal came.
    private func sleepUnlessSignalled(_ seconds: Double) -> Int32? {
        let end = monotonicSeconds() + seconds
        while true {
            if statsInterrupts.load(ordering: .relaxed) > 0 { return 130 }
            if statsTerminations.load(ordering: .relaxed) > 0 { return 143 }
            let left = end - monotonicSeconds()
            if left <= 0 { return nil }
            usleep(UInt32(min(left, 0.05) * 1_000_000))
        }
    }

    /// The containers shown: those named (skipping ones gone since, unless
    /// `strict`), else the running ones (all with `-a`).
    private func select(_ ctx: ContainerContext, strict: Bool) throws -> [ContainerRecord] {
        var records: [ContainerRecord] = []
        if containers.isEmpty {
            for r in try ctx.store.all() {
                if all || ((try? ctx.operations.snapshot(r))?.state.isActive ?? false) { records.append(r) }
            }
        } else {
            for ref in containers {
                if strict { records.append(try ctx.lookup(ref)) } else if let r = try? ctx.lookup(ref) { records.append(r) }
            }
        }
        return records
    }

    /// One reading of each container's cgroup, by container id.
    private func sample(_ ctx: ContainerContext, _ records: [ContainerRecord]) -> [String: CgroupStats] {
        var out: [String: CgroupStats] = [:]
        for r in records { out[r.id] = ctx.operations.cgroup(of: r)?.stats() }
        return out
    }

    private struct Frame {
        var rows: [[String]]
        var json: [RecordJSON]
    }

    private func emit(_ f: Frame, clear: Bool) {
        if format == "json" {
            writeStdout(f.json.map { $0.compact + "\n" }.joined())
        } else {
            writeStdout((clear ? "\u{1b}[2J\u{1b}[H" : "") + renderTable(f.rows))
        }
    }

    /// The table rows and JSON objects for `after`, CPU % against `before`.
    private func frame(_ ctx: ContainerContext, _ records: [ContainerRecord], before: [String: CgroupStats],
                       after: [String: CgroupStats], elapsed: Double) -> Frame {
        let total = Double(sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)))
        var f = Frame(rows: [["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]], json: [])
        for r in records {
            let s = after[r.id]
            var cpu = 0.0
            if let a = before[r.id]?.cpuUsageNanoseconds, let b = s?.cpuUsageNanoseconds, b >= a, elapsed > 0 {
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
            let row = [r.shortID, r.name, percent(cpu), "\(bytes(used)) / \(bytes(limit))", percent(memPct),
                       "\(Self.ioText(net))", "\(Self.ioText(block))", String(s?.pids ?? 0)]
            f.rows.append(row)
            f.json.append(.object([("BlockIO", .string(row[6])), ("CPUPerc", .string(row[2])), ("Container", .string(r.shortID)),
                                   ("ID", .string(r.shortID)), ("MemPerc", .string(row[4])), ("MemUsage", .string(row[3])),
                                   ("Name", .string(r.name)), ("NetIO", .string(row[5])), ("PIDs", .string(row[7]))]))
        }
        return f
    }

    private func percent(_ v: Double) -> String {
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
