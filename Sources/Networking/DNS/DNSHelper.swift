import CNetlink
import Diagnostics
import Foundation
import IPAddress
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops a network's DNS helper process (`berth-dns`). The helper
/// runs in its own session so it outlives the berth command that started it.
public enum DNSHelper {
    /// glibc's POSIX_SPAWN_SETSID (not exported to Swift without _GNU_SOURCE).
    static let posixSpawnSetSID: Int32 = 0x80

    /// Spawns `executable <listen> <records>` and waits until it has bound its
    /// socket (it writes "ready" on stdout) or failed; writes the pid file.
    public static func start(executable: String, listen: IPv4Address, records: String, pidFile: String) throws {
        try spawn(executable: executable, listen: listen, records: records, pidFile: pidFile).awaitReady()
    }

    /// A helper spawned and not yet known to be serving: the caller does other
    /// work while it starts, then calls `awaitReady` (or `cancel`) once.
    public struct Starting: ~Copyable {
        let pid: pid_t
        let readyPipe: Int32
        let listen: IPv4Address
        let logPath: String
        let pidFile: String

        /// Waits for "ready" (or EOF when it failed), at most 5 s; writes the
        /// pid file. A helper that did not get ready is killed.
        public consuming func awaitReady() throws {
            defer { close(readyPipe) }
            var pfd = pollfd(fd: readyPipe, events: Int16(POLLIN), revents: 0)
            var text = ""
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                let n = poll(&pfd, 1, 100)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { continue }
                var buf = [UInt8](repeating: 0, count: 256)
                let r = read(readyPipe, &buf, buf.count)
                if r <= 0 { break }
                text += String(decoding: buf[0..<r], as: UTF8.self)
                if text.contains("ready") { break }
            }
            guard text.contains("ready") else {
                DNSHelper.reap(pid)
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw NetworkError("DNS helper for \(listen) did not start: \(log.split(separator: "\n").last.map(String.init) ?? "no output")")
            }
            try writeAtomically(pidFile, Array("\(pid)\n".utf8), durability: .none)
        }

        /// Stops a helper whose network is not going to be made after all.
        public consuming func cancel() {
            close(readyPipe)
            DNSHelper.reap(pid)
        }
    }

    /// Spawns the helper and returns at once; see `Starting`.
    public static func spawn(executable: String, listen: IPv4Address, records: String, pidFile: String) throws -> Starting {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw SystemError("start DNS helper", executable, errno: ENOENT)
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw SystemError.current("pipe") }
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        let logPath = (records as NSString).deletingLastPathComponent + "/dns.log"
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else berth's caller let it inherit (a test runner's pipes, a
        // process-exit socket) may stay open for the helper's lifetime: the
        // caller would wait for EOF, or for an exit, forever.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(posixSpawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        let args = [executable, listen.description, records]
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attr, &cargs, environ)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw SystemError("posix_spawn", executable, errno: rc)
        }
        return Starting(pid: pid, readyPipe: pipeFDs[0], listen: listen, logPath: logPath, pidFile: pidFile)
    }

    static func reap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Stops the helper recorded in `pidFile` (checking that the pid is still
    /// a helper for `records`) and waits until it is gone.
    public static func stop(pidFile: String, records: String) throws {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        if isHelper(pid: pid, records: records) {
            kill(pid, SIGTERM)
            // Woken at its exit (a pidfd); polled on kernels without pidfds.
            let exited = Sys.awaitExit(pid, timeout: 3)
            let deadline = Date().addingTimeInterval(exited == nil ? 3 : 0)
            while Date() < deadline {
                var status: Int32 = 0
                let w = waitpid(pid, &status, WNOHANG)
                if w == pid { break }
                if w < 0 && errno == ECHILD && !isHelper(pid: pid, records: records) { break }
                usleep(2000)
            }
            if isHelper(pid: pid, records: records) {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        unlink(pidFile)
    }

    /// Whether the helper recorded for `records` is running.
    public static func isRunning(pidFile: String, records: String) -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        return isHelper(pid: pid, records: records)
    }

    static func isHelper(pid: Int32, records: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        // A zombie has an empty command line: it is gone for our purposes.
        return args.count == 3 && args[2] == records
    }
}
