import SystemCalls

/// Bytes in and out of a container, as `stats` shows them: network I/O
/// (received / transmitted) from the container's network namespace, block
/// I/O (read / written) from its cgroup. The parsers are pure; `Cgroup`
/// and `IOUsage.network(pid:)` read the files.
public struct IOUsage: Sendable, Equatable {
    /// Received (network) or read (block) bytes.
    public var read: UInt64
    /// Transmitted (network) or written (block) bytes.
    public var write: UInt64

    public init(read: UInt64 = 0, write: UInt64 = 0) {
        self.read = read
        self.write = write
    }

    // MARK: Network

    /// `/proc/<pid>/net/dev`: receive and transmit bytes summed over every
    /// interface but loopback (what Docker sums over a container's
    /// networks). nil when the text has no interface line.
    public static func netDev(_ text: String) -> IOUsage? {
        var usage = IOUsage()
        var sawInterface = false
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }   // the two header lines
            let name = line[..<colon].trimmingWhitespace
            let fields = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace)
            // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit.
            guard fields.count >= 9, let rx = UInt64(fields[0]), let tx = UInt64(fields[8]) else { continue }
            sawInterface = true
            if name == "lo" { continue }
            usage.read &+= rx
            usage.write &+= tx
        }
        return sawInterface ? usage : nil
    }

    /// Network I/O of the namespace process `pid` lives in (its
    /// `/proc/<pid>/net/dev`); nil when the process is gone.
    public static func network(pid: Int32) -> IOUsage? {
        guard pid > 0, let text = try? Sys.readFile("/proc/\(pid)/net/dev") else { return nil }
        return netDev(text)
    }

    // MARK: Block

    /// A cgroup v1 blkio `*io_service_bytes*` file (`MAJ:MIN Read N`, …,
    /// `MAJ:MIN Total N`, and a final `Total N`): Read and Write summed over
    /// devices. nil when no device line is present (an unused or unaccounted
    /// policy: the caller tries the next file).
    public static func blkioServiceBytes(_ text: String) -> IOUsage? {
        var usage = IOUsage()
        var sawDevice = false
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(whereSeparator: \.isWhitespace)
            guard f.count == 3, f[0].contains(":"), let value = UInt64(f[2]) else { continue }
            sawDevice = true
            switch f[1].lowercased() {
            case "read": usage.read &+= value
            case "write": usage.write &+= value
            default: break
            }
        }
        return sawDevice ? usage : nil
    }

    /// A cgroup v2 `io.stat` (`MAJ:MIN rbytes=N wbytes=N rios=N …`): rbytes
    /// and wbytes summed over devices.
    public static func ioStat(_ text: String) -> IOUsage {
        var usage = IOUsage()
        for line in text.split(whereSeparator: \.isNewline) {
            for field in line.split(whereSeparator: \.isWhitespace).dropFirst() {
                guard let eq = field.firstIndex(of: "="), let value = UInt64(field[field.index(after: eq)...]) else { continue }
                switch field[..<eq] {
                case "rbytes": usage.read &+= value
                case "wbytes": usage.write &+= value
                default: break
                }
            }
        }
        return usage
    }

    /// The v1 blkio files tried in order, as Docker does (the CFQ/BFQ
    /// policy's counters, then the throttle layer's, which counts every
    /// bio whatever the scheduler); recursive first (the container's
    /// cgroup has no children, but a nested runtime inside it might).
    public static let blkioFiles = [
        "blkio.io_service_bytes_recursive", "blkio.io_service_bytes",
        "blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_service_bytes",
        "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes",
    ]

    /// Block I/O from a v1 blkio directory: the first file of `blkioFiles`
    /// that accounts any device with a non-zero count (else zero, or nil
    /// when none of the files exists). `read` is injectable for tests.
    public static func blkio(directory: String, read: (String) -> String? = { try? Sys.readFile($0) }) -> IOUsage? {
        var found: IOUsage?
        for name in blkioFiles {
            guard let text = read("\(directory)/\(name)") else { continue }
            guard let usage = blkioServiceBytes(text) else {
                if found == nil { found = IOUsage() }
                continue
            }
            if usage.read > 0 || usage.write > 0 { return usage }
            if found == nil { found = usage }
        }
        return found
    }
}
