import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Serializes berth processes working on one project: an exclusive `flock`
/// on `<run>/projects/<name>.lock`. The kernel drops the lock when the
/// holder exits, so a killed `berth up` never leaves a stale lock behind.
/// The holder's pid is written into the file so a waiting process can say
/// who it is waiting for.
public final class ProjectLock {
    public let path: String
    private var fd: Int32

    /// Acquires the lock, waiting up to `timeout` seconds (0 = fail at once).
    /// `onWait` is called once with the holder's pid if the lock is busy.
    public init(paths: StatePaths, project: String, timeout: Double = 30,
                onWait: (Int32?) -> Void = { _ in }) throws {
        let dir = paths.run + "/projects"
        try Self.makeDirectories(dir)
        path = "\(dir)/\(project).lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.current("open", path) }

        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                let error = SystemError.current("flock", path)
                close(fd)
                throw error
            }
            onWait(Self.holder(fd))
            let deadline = Self.now() + timeout
            var acquired = false
            while Self.now() < deadline {
                usleep(20_000)
                if flock(fd, LOCK_EX | LOCK_NB) == 0 { acquired = true; break }
            }
            if !acquired {
                let holder = Self.holder(fd).map { " (held by pid \($0))" } ?? ""
                close(fd)
                throw LockBusy(project: project, message:
                    "another berth process is working on project \"\(project)\"\(holder); gave up after \(Int(timeout))s")
            }
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        if fd >= 0 {
            _ = ftruncate(fd, 0)
            close(fd)
        }
    }

    /// Releases the lock now (it is also released when the object goes away).
    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        close(fd)
        fd = -1
    }

    static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count - 1, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingWhitespace)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func makeDirectories(_ path: String) throws {
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SystemError.current("mkdir", current)
            }
        }
    }
}

/// The project is locked by another berth process.
public struct LockBusy: Error, CustomStringConvertible, Sendable {
    public var project: String
    public var message: String
    public var description: String { message }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
