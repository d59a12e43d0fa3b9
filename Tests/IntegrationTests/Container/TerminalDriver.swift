import BerthTestSupport
import Foundation
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command on a real terminal the test drives, the way a user's
/// terminal emulator would: a host pty whose slave is the command's
/// controlling terminal and stdio (a new session), whose master the test
/// types into, reads and resizes (TIOCSWINSZ on the master: the kernel
/// sends SIGWINCH to the command's foreground process group).
final class TerminalDriver {
    let pid: pid_t
    private let master: Int32
    private(set) var output = ""
    private var status: Int32?

    /// Starts `executable arguments` in `directory` (or the current one) on
    /// a terminal of `rows`×`cols`.
    init(_ executable: String, _ arguments: [String], environment: [String: String], directory: URL? = nil,
         rows: UInt16, cols: UInt16) throws {
        let pty = try Sys.openPTY()
        master = pty.master.release()
        let slave = pty.slave
        var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(master, UInt(TIOCSWINSZ), &ws) == 0 else { throw SystemError.current("ioctl TIOCSWINSZ", "test pty") }
        // Opened by path after setsid (no O_NOCTTY): it becomes the controlling terminal.
        let slavePath = try Sys.readLink("/proc/self/fd/\(slave.raw)")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        let attr = SpawnAttributes(newSession: true)
        let words = (directory.map { ["/usr/bin/env", "-C", $0.path] } ?? []) + [executable] + arguments
        let argv = words.map { strdup($0) } + [nil]
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + env).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, words[0], &actions, &attr.raw, argv, env)
        slave.close()
        guard rc == 0 else {
            close(master)
            throw SystemError("posix_spawn", executable, errno: rc)
        }
        pid = child
    }

    /// Types `text` (as the keyboard would: "\r" is Enter, "\u{03}" is ^C).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Resizes the terminal.
    func resize(rows: UInt16, cols: UInt16) {
        var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
    }

    /// Whether the terminal is in canonical mode with echo (a shell's
    /// cooked mode) rather than raw.
    var isCooked: Bool {
        var t = termios()
        guard tcgetattr(master, &t) == 0 else { return false }
        return t.c_lflag & tcflag_t(ICANON) != 0 && t.c_lflag & tcflag_t(ECHO) != 0
    }

    /// Reads until `text` appears in the output; false after `timeout` seconds
    /// or at the terminal's end without it.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !output.contains(text) {
            if Date() > deadline || !readSome(until: deadline) { return output.contains(text) }
        }
        return true
    }

    /// Reads what arrives before `deadline`; false at EOF/EIO.
    private func readSome(until deadline: Date) -> Bool {
        var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(200, deadline.timeIntervalSinceNow * 1000)))
        let ready = poll(&p, 1, ms)
        if ready < 0 { return errno == EINTR }
        if ready == 0 { return true }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(master, &buf, buf.count)
        if n > 0 { output += String(decoding: buf[0..<n], as: UTF8.self); return true }
        return n < 0 && errno == EINTR
    }

    /// Reads until the command has exited and the terminal is quiet (the
    /// command is killed after `timeout`); its exit status (128+N for a signal).
    func finish(timeout: Double = 30) -> Int32 {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        var code: Int32 = -1
        while true {
            let alive = readSome(until: Date().addingTimeInterval(0.1))
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid {
                code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                while readSome(until: Date().addingTimeInterval(0.1)), Date() < deadline.addingTimeInterval(2) {
                    var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, 100) <= 0 { break }
                }
                break
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                output += "\n[terminal driver: killed after \(Int(timeout)) s]"
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                code = 137
                break
            }
            if !alive { usleep(20_000) }
        }
        status = code
        return code
    }

    deinit {
        if status == nil { kill(pid, SIGKILL); _ = finish(timeout: 5) }
        close(master)
    }
}
