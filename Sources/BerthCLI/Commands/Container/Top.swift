import ArgumentParser
import Diagnostics
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth top CONTAINER`: the container's processes, as `ps -ef` shows
/// them (UID PID PPID C STIME TTY TIME CMD), found by PID namespace.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var container: String

    func run() throws {
        try requireRoot("berth top")
        let ctx = ContainerContext(state)
        let snap = try translated { try ctx.operations.snapshot(container) }
        try translated { try snap.state.check(.top, name: snap.record.name) }
        let processes = ProcessTable.inNamespace(of: snap.state.pid)
        var rows = [["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]]
        for p in processes {
            rows.append([p.user, String(p.pid), String(p.ppid), "0", p.startTime, p.tty, p.cpuTime, p.command])
        }
        writeStdout(renderTable(rows))
    }
}

/// Host processes read from /proc.
enum ProcessTable {
    struct Entry {
        var pid: Int32
        var ppid: Int32
        var user: String
        var tty: String
        var startTime: String
        var cpuTime: String
        var command: String
    }

    /// Every process sharing the PID namespace of `pid`, in pid order.
    static func inNamespace(of pid: Int32) -> [Entry] {
        guard let target = namespace(pid) else { return [] }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let bootTime = self.bootTime()
        var out: [Entry] = []
        for name in StateFile.list("/proc") {
            guard let p = Int32(name), namespace(p) == target,
                  let statText = try? StateFile.readText("/proc/\(p)/stat"), let close = statText.lastIndex(of: ")") else { continue }
            let f = statText[statText.index(after: close)...].split(separator: " ")
            guard f.count > 19 else { continue }
            let cmdline = ((try? StateFile.read("/proc/\(p)/cmdline")) ?? nil) ?? []
            var command = String(decoding: cmdline.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            while command.hasSuffix(" ") { command.removeLast() }
            if command.isEmpty, let open = statText.firstIndex(of: "(") {
                command = "[" + statText[statText.index(after: open)..<close] + "]"
            }
            let cpu = (Double(f[11]).map { $0 } ?? 0) + (Double(f[12]) ?? 0)
            let secs = Int(cpu / ticks)
            let started = bootTime + Int64((Double(f[19]) ?? 0) / ticks)
            var uid: UInt32 = 0
            var st = stat()
            if stat("/proc/\(p)", &st) == 0 { uid = st.st_uid }
            let ttyNr = Int(f[4]) ?? 0
            out.append(Entry(pid: p, ppid: Int32(f[1]) ?? 0, user: userName(uid), tty: ttyNr == 0 ? "?" : "pts/\(ttyNr & 0xff)",
                             startTime: clock(started), cpuTime: duration(secs), command: command))
        }
        return out.sorted { $0.pid < $1.pid }
    }

    static func namespace(_ pid: Int32) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/\(pid)/ns/pid", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func bootTime() -> Int64 {
        guard let text = try? StateFile.readText("/proc/stat") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int64(line.dropFirst(6)) ?? 0
        }
        return 0
    }

    static func userName(_ uid: UInt32) -> String {
        if uid == 0 { return "root" }
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }

    static func clock(_ t: Int64) -> String {
        let text = Timestamp(seconds: t).description  // 2024-05-01T10:20:30Z
        let parts = text.split(separator: "T")
        return parts.count == 2 ? String(parts[1].prefix(5)) : text
    }

    static func duration(_ s: Int) -> String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(two(s / 3600)):\(two((s / 60) % 60)):\(two(s % 60))"
    }
}
