import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The monitor's control socket protocol (`<run>/containers/<id>/monitor.sock`).
/// A client sends one request line; simple requests get one reply line:
///
///     status            → {"Status":…}  (state.json, compact)
///     stop <seconds>    → ok            (after the process has exited)
///     kill <signal>     → ok | error <message>
///     wait              → exit <code>   (after the final exit, not restarts)
///     start             → ok | error <code> <message>   (deferred start)
///
/// `attach <stdin 0|1> <rows> <cols>` switches the connection to frames
/// (`FrameType` byte, 4-byte big-endian length, payload) in both directions.
public enum MonitorRequest: Equatable, Sendable {
    case status
    case stop(timeout: Int)
    case kill(signal: Int32)
    case wait
    case start
    case attach(stdin: Bool, rows: UInt16, cols: UInt16)

    public var line: String {
        switch self {
        case .status: return "status\n"
        case .stop(let t): return "stop \(t)\n"
        case .kill(let s): return "kill \(s)\n"
        case .wait: return "wait\n"
        case .start: return "start\n"
        case .attach(let stdin, let rows, let cols): return "attach \(stdin ? 1 : 0) \(rows) \(cols)\n"
        }
    }

    public static func parse(_ line: String) -> MonitorRequest? {
        let f = line.split(separator: " ").map(String.init)
        guard let verb = f.first else { return nil }
        switch (verb, f.count) {
        case ("status", 1): return .status
        case ("wait", 1): return .wait
        case ("start", 1): return .start
        case ("stop", 2): return Int(f[1]).map { .stop(timeout: $0) }
        case ("kill", 2): return Int32(f[1]).map { .kill(signal: $0) }
        case ("attach", 4):
            guard let r = UInt16(f[2]), let c = UInt16(f[3]) else { return nil }
            return .attach(stdin: f[1] == "1", rows: r, cols: c)
        default: return nil
        }
    }
}

/// Frame types on an attached connection.
public enum FrameType: UInt8, Sendable {
    // monitor → client
    case stdout = 1, stderr = 2
    /// The process started; payload: pid.
    case started = 3
    /// The process exited; payload: exit code.
    case exit = 4
    /// Start failed; payload: "<exit code> <message>".
    case error = 5
    /// A `--rm` container's process exited and its removal has begun (an
    /// `exit` frame follows once it is removed); payload: exit code. Lets
    /// `run --rm` release its network bookkeeping meanwhile.
    case removing = 6
    // client → monitor
    case stdin = 10
    case stdinClose = 11
    /// payload: "<rows> <cols>".
    case resize = 12
}

public enum FrameCodec {
    public static func encode(_ type: FrameType, _ payload: some Collection<UInt8>) -> [UInt8] {
        let n = UInt32(payload.count)
        return [type.rawValue, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }

    public static func encode(_ type: FrameType, text: String) -> [UInt8] { encode(type, Array(text.utf8)) }
}

/// Reassembles frames from a byte stream.
public struct FrameReader: Sendable {
    private var buffer: [UInt8] = []
    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [(FrameType?, [UInt8])] {
        buffer.append(contentsOf: bytes)
        var frames: [(FrameType?, [UInt8])] = []
        var start = 0
        while buffer.count - start >= 5 {
            let n = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
            guard buffer.count - start - 5 >= n else { break }
            frames.append((FrameType(rawValue: buffer[start]), Array(buffer[start + 5..<start + 5 + n])))
            start += 5 + n
        }
        if start > 0 { buffer.removeFirst(start) }
        return frames
    }
}

/// Unix stream sockets without Foundation.
public enum UnixSocket {
    static func address(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SystemError("bind", path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    /// Runs `body` with an address for `path`. sun_path holds 107 bytes;
    /// longer paths (deep test roots, 64-digit ids) are reached through
    /// `/proc/self/fd/<dir>/<name>` with the directory held open.
    static func withAddress<R>(_ path: String, _ body: (inout sockaddr_un) throws -> R) throws -> R {
        if path.utf8.count < 100 {
            var addr = try address(path)
            return try body(&addr)
        }
        let dir = StateFile.parent(of: path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw SystemError.current("open", dir) }
        defer { close(dfd) }
        var addr = try address("/proc/self/fd/\(dfd)/\(StateFile.basename(of: path))")
        return try body(&addr)
    }

    /// A listening socket at `path` (a stale socket file is replaced).
    public static func listen(_ path: String) throws -> Int32 {
        try withAddress(path) { addr in try listen(path, &addr) }
    }

    private static func listen(_ path: String, _ addr: inout sockaddr_un) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError.current("socket", path) }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { let e = SystemError.current("bind", path); close(fd); throw e }
        chmod(path, 0o600)
        if Glibc.listen(fd, 16) != 0 { let e = SystemError.current("listen", path); close(fd); throw e }
        return fd
    }

    public static func connect(_ path: String) throws -> Int32 {
        try withAddress(path) { addr in try connect(path, &addr) }
    }

    private static func connect(_ path: String, _ addr: inout sockaddr_un) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError.current("socket", path) }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { let e = SystemError.current("connect", path); close(fd); throw e }
        return fd
    }

    /// Reads one `\n`-terminated line and nothing after it (what follows
    /// belongs to the next reader of `fd`); nil at EOF before a newline. On
    /// a socket it peeks at what has arrived and takes exactly the line
    /// (the monitor's assignment came in ~140 one-byte reads, on the path
    /// between the record and the container's start); on anything else
    /// it reads byte by byte.
    public static func readLine(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let peeked = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK)) }
            if peeked < 0 && errno == EINTR { continue }
            if peeked < 0 && errno == ENOTSOCK { return readLineBytewise(fd, bytes) }
            if peeked <= 0 { return nil }
            let newline = chunk[..<peeked].firstIndex(of: 0x0a)
            let take = newline.map { $0 + 1 } ?? peeked
            // Consumes exactly what was peeked at (nobody else reads `fd`
            // meanwhile), so `read` returns it at once.
            var got = 0
            while got < take {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + got }, take - got) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return nil }
                got += n
            }
            if let newline {
                bytes += chunk[..<newline]
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes += chunk[..<take]
            if bytes.count > 1 << 20 { return nil }
        }
    }

    private static func readLineBytewise(_ fd: Int32, _ start: [UInt8]) -> String? {
        var bytes = start
        var b: UInt8 = 0
        while true {
            let n = read(fd, &b, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            if b == 0x0a { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(b)
            if bytes.count > 1 << 20 { return nil }
        }
    }
}

/// Signal names and numbers (`SIGTERM`, `TERM`, `15`).
public enum SignalName {
    static let table: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP), ("ABRT", SIGABRT),
        ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2),
        ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TERM", SIGTERM), ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD),
        ("CONT", SIGCONT), ("STOP", SIGSTOP), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG),
        ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH),
        ("IO", SIGIO), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return n > 0 && n < 65 ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        return table.first(where: { $0.0 == name })?.1
    }

    public static func name(_ signal: Int32) -> String {
        table.first(where: { $0.1 == signal }).map { "SIG" + $0.0 } ?? "signal \(signal)"
    }
}

/// A monotonic clock in seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
