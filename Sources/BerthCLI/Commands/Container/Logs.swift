import ArgumentParser
import Diagnostics
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER`.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container")
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Follow log output") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs (or \"all\")")
    var tail: String = "all"
    @Option(name: .long, help: "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\")")
    var since: String?
    @Option(name: .long, help: "Show logs before a timestamp or relative time") var until: String?
    @Flag(name: .shortAndLong, help: "Show timestamps") var timestamps = false
    @Argument(help: ArgumentHelp(valueName: "container")) var container: String

    func run() throws {
        let ctx = ContainerContext(state)
        let record = try ctx.lookup(container)
        let now = Timestamp.now()
        let tailCount: Int?
        if tail == "all" { tailCount = nil } else {
            guard let n = Int(tail) else { throw UserError("invalid value for --tail: \(tail)") }
            tailCount = n < 0 ? nil : n
        }
        let sinceTime = try since.map { text in
            guard let t = JSONLogReader.parseTime(text, now: now) else { throw UserError("invalid value for \"since\": \(text)") }
            return t
        }
        let untilTime = try until.map { text in
            guard let t = JSONLogReader.parseTime(text, now: now) else { throw UserError("invalid value for \"until\": \(text)") }
            return t
        }
        let path = ctx.store.logPath(record.id)
        // Read the rotated files whole, then follow the live file by offset.
        var history: [LogEntry] = []
        for file in LogRotation.files(logPath: path, options: record.log).dropLast() {
            if let bytes = try StateFile.read(file) { history += JSONLogReader.parse(bytes[...]).entries }
        }
        var follower = LogFollower(path: path)
        history += follower.readAvailable()
        var out = StreamBuffer()
        for e in JSONLogReader.select(history, since: sinceTime, until: untilTime, tail: tailCount) { emit(e, &out) }
        out.flush()
        guard follow else { return }
        while true {
            let active = (try? ctx.operations.snapshot(record))?.state.isActive ?? false
            for e in follower.readAvailable() {
                if let untilTime, e.time > untilTime { out.flush(); return }
                if let sinceTime, e.time < sinceTime { continue }
                emit(e, &out)
            }
            out.flush()
            if !active { return }
            usleep(100_000)
        }
    }

    private func emit(_ e: LogEntry, _ out: inout StreamBuffer) {
        if timestamps { out.append(e.time.fixedNano + " ", fd: e.stream == .stderr ? 2 : 1) }
        out.append(e.text, fd: e.stream == .stderr ? 2 : 1)
    }
}

/// Output gathered into large writes, one stream at a time: stdout and
/// stderr lines keep their order (a switch of stream flushes first).
struct StreamBuffer {
    private var bytes: [UInt8] = []
    private var fd: Int32 = 1

    mutating func append(_ text: String, fd: Int32) {
        append(text.utf8, fd: fd)
    }

    mutating func append<Bytes: Sequence>(_ more: Bytes, fd: Int32) where Bytes.Element == UInt8 {
        if fd != self.fd { flush(); self.fd = fd }
        bytes.append(contentsOf: more)
        if bytes.count >= 1 << 16 { flush() }
    }

    /// The first failed write (a closed pipe): later output is dropped.
    private(set) var failure: (any Error)?

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        if failure == nil {
            do { try StateFile.writeAll(fd: fd, bytes, path: "output") } catch { failure = error }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Reads new complete lines of a json-file log, across rotation.
struct LogFollower {
    let path: String
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var pending: [UInt8] = []

    init(path: String) { self.path = path }

    mutating func readAvailable() -> [LogEntry] {
        var entries: [LogEntry] = []
        if fd < 0 { reopen() }
        entries += drain()
        var st = stat()
        if stat(path, &st) == 0, UInt64(st.st_ino) != inode {
            // Rotated: finish the old file (done above), continue with the new one.
            close(fd)
            fd = -1
            pending = []
            reopen()
            entries += drain()
        }
        return entries
    }

    /// Starts at the current end of the file: only lines written from now on.
    mutating func skipToEnd() {
        if fd >= 0 { close(fd) }
        pending = []
        reopen()
        if fd >= 0 { lseek(fd, 0, SEEK_END) }
    }

    private mutating func reopen() {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        if fd >= 0 && fstat(fd, &st) == 0 { inode = UInt64(st.st_ino) }
    }

    private mutating func drain() -> [LogEntry] {
        guard fd >= 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            pending += buf[0..<n]
        }
        let (entries, consumed) = JSONLogReader.parse(pending[...])
        pending.removeFirst(consumed)
        return entries
    }
}
