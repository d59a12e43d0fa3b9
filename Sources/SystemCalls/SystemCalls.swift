// SystemCalls: thin, throwing Swift wrappers over Linux system calls.
//
// Owns: errno → SystemError (naming the object and the call), EINTR retry,
// owned file descriptors (closed exactly once, always O_CLOEXEC), openat2
// with RESOLVE_* flags, and small whole-file reads/writes for /proc, /sys
// and cgroup files.
// Must never: run in a forked child (CRuntime does that), hide an errno, or
// open a descriptor without O_CLOEXEC.
import CRuntime
import Diagnostics
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Namespace for the wrappers.
public enum Sys {
    /// Runs `body` until it does not fail with EINTR; a `-1` result throws
    /// `SystemError(operation, object, errno)`.
    @discardableResult
    public static func call<T: BinaryInteger>(_ operation: String, _ object: String = "",
                                              _ body: () -> T) throws(SystemError) -> T {
        while true {
            let r = body()
            if r == -1 {
                let e = Glibc.errno
                if e == EINTR { continue }
                throw SystemError(operation, object, errno: e)
            }
            return r
        }
    }

    /// `name` in the directory of the running executable (`/proc/self/exe`):
    /// berth's helpers (berth-monitor, berth-init, berth-dns, berth-linkdel)
    /// sit beside it. Just `name` when the link cannot be read.
    public static func besideExecutable(_ name: String) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return name }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return name }
        return String(exe[...slash]) + name
    }

    /// `open(path, flags | O_CLOEXEC)`.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SystemError) -> OwnedDescriptor {
        let fd = try call("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return OwnedDescriptor(fd)
    }

    /// `O_PATH` (not exported by Glibc to Swift without _GNU_SOURCE).
    public static let oPath: Int32 = 0o10000000

    /// RESOLVE_* flags for openat2.
    public struct Resolve: OptionSet, Sendable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let noXDev = Resolve(rawValue: 0x01)
        public static let noMagicLinks = Resolve(rawValue: 0x02)
        public static let noSymlinks = Resolve(rawValue: 0x04)
        public static let beneath = Resolve(rawValue: 0x08)
        public static let inRoot = Resolve(rawValue: 0x10)
    }

    /// `openat2(dirfd, path, {flags|O_CLOEXEC, mode, resolve})`.
    public static func openat2(_ dir: Int32, _ path: String, _ flags: Int32, resolve: Resolve,
                               mode: UInt64 = 0) throws(SystemError) -> OwnedDescriptor {
        let fd = try call("openat2", path) {
            brt_openat2(dir, path, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), mode, resolve.rawValue)
        }
        return OwnedDescriptor(fd)
    }

    /// Reads a whole (small) file such as a /proc or cgroup file.
    public static func readFile(_ path: String) throws(SystemError) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// The bytes of a whole (small) file.
    public static func readBytes(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        return try readAll(fd: fd.raw, path: path)
    }

    /// What is left to read from `fd`, up to end of file (EFBIG past
    /// `limit` bytes). A regular file is read into an array of its size
    /// (plus one byte, for the end of file) at once, and no buffer is
    /// zero-filled first (a zeroed 64 KB chunk per read used to cost a
    /// memset and 16 page faults). The first read asks for at least 4 KB:
    /// /proc and cgroup files say size 0, and a /proc/sys number must come
    /// in one read (read on from a later offset, it ends). Files that grow
    /// meanwhile are read on in steps.
    public static func readAll(fd: Int32, path: String, limit: Int = Int.max) throws(SystemError) -> [UInt8] {
        var st = stat()
        let size = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        var step = max(min(size, limit) + 1, 4096)
        var out: [UInt8] = []
        while true {
            var failure: Int32 = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: step) { buffer, count in
                count = 0
                while true {
                    let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                    if n >= 0 { count = n; return }
                    if Glibc.errno != EINTR { failure = Glibc.errno; return }
                }
            }
            if failure != 0 { throw SystemError("read", path, errno: failure) }
            if chunk.isEmpty { return out }
            if out.isEmpty { out = chunk } else { out += chunk }
            if out.count > limit { throw SystemError("read", path, errno: EFBIG) }
            step = 65536
        }
    }

    /// Writes `text` to an existing file (one write, as cgroup and /proc files need).
    public static func writeFile(_ path: String, _ text: String) throws(SystemError) {
        let fd = try open(path, O_WRONLY)
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [] }
        let n = try call("write", path) { bytes.withUnsafeBytes { Glibc.write(fd.raw, $0.baseAddress, $0.count) } }
        if n != bytes.count { throw SystemError("write", path, errno: EIO) }
    }

    /// Creates or truncates a file and writes `text` (not atomic).
    public static func createFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws(SystemError) {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = try call("write", path) { bytes.withUnsafeBytes { b -> Int in
                guard let base = b.baseAddress else { return 0 }
                return Glibc.write(fd.raw, base + off, b.count - off)
            } }
            off += n
        }
    }

    /// `mkdir`; an existing directory is not an error.
    public static func mkdir(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if Glibc.mkdir(path, mode) == 0 { return }
        let e = Glibc.errno
        if e == EEXIST { return }
        throw SystemError("mkdir", path, errno: e)
    }

    /// `mkdir -p` in one call when the directory or its parent exists
    /// (FileManager's `createDirectory` costs ≈ 70 µs at its first use in a
    /// process, on the `run` path).
    public static func ensureDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if Glibc.mkdir(path, mode) == 0 || errno == EEXIST { return }
        try mkdirAll(path, mode: mode)
    }

    /// `mkdir -p`.
    public static func mkdirAll(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            try mkdir(current, mode: mode)
        }
    }

    /// `rmdir`; a missing directory is not an error.
    public static func rmdir(_ path: String) throws(SystemError) {
        if Glibc.rmdir(path) == 0 { return }
        let e = Glibc.errno
        if e == ENOENT { return }
        throw SystemError("rmdir", path, errno: e)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory (without `.` and `..`).
    public static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError.current("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `pipe2(O_CLOEXEC)` → (read end, write end).
    public static func pipe() throws(SystemError) -> (read: OwnedDescriptor, write: OwnedDescriptor) {
        var fds: [Int32] = [-1, -1]
        try call("pipe2") { fds.withUnsafeMutableBufferPointer { brt_pipe_cloexec($0.baseAddress) } }
        return (OwnedDescriptor(fds[0]), OwnedDescriptor(fds[1]))
    }

    /// `waitpid(pid, 0)` with EINTR retry; returns the raw wait status.
    public static func waitpid(_ pid: pid_t, flags: Int32 = 0) throws(SystemError) -> (pid: pid_t, status: Int32) {
        var status: Int32 = 0
        let r = try call("waitpid", "\(pid)") { Glibc.waitpid(pid, &status, flags) }
        return (r, status)
    }

    /// `kill(pid, sig)`; ESRCH (already gone) is not an error.
    public static func kill(_ pid: pid_t, _ sig: Int32) throws(SystemError) {
        if Glibc.kill(pid, sig) == 0 { return }
        let e = Glibc.errno
        if e == ESRCH { return }
        throw SystemError("kill", "\(pid)", errno: e)
    }

    /// Waits until `pid` (any process, not only a child) has exited, at most
    /// `timeout` seconds, on a pidfd (readable from the moment it exits), and
    /// reaps it when it is this process's child. True when it exited (or was
    /// already gone), false on timeout, nil without pidfd support (Linux <
    /// 5.3): the caller polls instead.
    public static func awaitExit(_ pid: pid_t, timeout: Double) -> Bool? {
        let fd = brt_pidfd_open(pid)
        if fd < 0 { return Glibc.errno == ESRCH ? true : nil }
        defer { _ = Glibc.close(fd) }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        func now() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let deadline = now() + timeout
        while true {
            let left = deadline - now()
            if left <= 0 { return false }
            let n = poll(&p, 1, Int32(min(left * 1000 + 1, 60_000)))
            if n > 0 {
                var status: Int32 = 0
                _ = Glibc.waitpid(pid, &status, WNOHANG)
                return true
            }
            if n == 0 { return false }
            if Glibc.errno != EINTR { return nil }
        }
    }
}

/// A file descriptor closed exactly once, when `close()` is called or the
/// owner goes away.
public final class OwnedDescriptor {
    public private(set) var raw: Int32

    public init(_ raw: Int32) { self.raw = raw }

    /// Gives up ownership: the caller must close the returned descriptor.
    public func release() -> Int32 {
        let r = raw
        raw = -1
        return r
    }

    public func close() {
        if raw >= 0 { _ = Glibc.close(raw) }
        raw = -1
    }

    deinit { if raw >= 0 { _ = Glibc.close(raw) } }
}

/// The decoded status from `waitpid`.
public enum WaitStatus: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)
    case other(Int32)

    public init(raw: Int32) {
        let sig = raw & 0x7f
        if sig == 0 { self = .exited((raw >> 8) & 0xff) }
        else if sig != 0x7f { self = .signaled(sig) }
        else { self = .other(raw) }
    }

    /// Docker's convention: the exit code, or 128 + signal.
    public var exitCode: Int32 {
        switch self {
        case .exited(let c): c
        case .signaled(let s): 128 + s
        case .other: 255
        }
    }
}

extension Sys {
    /// `readlink(path)`.
    public static func readLink(_ path: String) throws(SystemError) -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = try call("readlink", path) { buf.withUnsafeMutableBufferPointer { b -> Int in
            guard let base = b.baseAddress else { return -1 }
            return Glibc.readlink(path, base, 4096)
        } }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A new pseudo-terminal pair (master, slave), both close-on-exec; the
    /// slave is obtained from the master (TIOCGPTPEER), not by path.
    public static func openPTY() throws(SystemError) -> (master: OwnedDescriptor, slave: OwnedDescriptor) {
        var m: Int32 = -1, s: Int32 = -1
        let rc = brt_open_pty(&m, &s)
        if rc < 0 { throw SystemError("open", "/dev/ptmx", errno: -rc) }
        return (OwnedDescriptor(m), OwnedDescriptor(s))
    }

    /// Writes to a file, creating it when missing (for files that tests fake).
    public static func writeOrCreateFile(_ path: String, _ text: String) throws(SystemError) {
        if exists(path) { try writeFile(path, text) } else { try createFile(path, text) }
    }
}
