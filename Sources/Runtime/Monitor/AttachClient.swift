import CMonitor
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// This process's terminal for the length of a `-t` session: raw mode while
/// the user's keystrokes go to the container (so ^C, ^Z, ^D reach the
/// container's terminal as characters, as with Docker), and a signal pipe
/// that reports window changes and the signals that end the session.
///
/// The previous mode is restored on every way out: `end()` (call it in a
/// `defer`), and a terminating signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT sent
/// to berth while nobody else handles it), which restores and then dies of
/// the same signal.
public final class TerminalSession {
    /// Reads one byte per signal; poll it for POLLIN.
    public private(set) var signalFD: Int32 = -1
    private var writeFD: Int32 = -1
    private var saved: [UInt8] = []
    private var raw = false
    private var installed: [Int32] = []

    /// Signals that end the session (only those still at their default).
    private static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// - Parameters:
    ///   - raw: put stdin (a terminal) in raw mode.
    ///   - watchWindow: report SIGWINCH.
    public init(raw: Bool, watchWindow: Bool) {
        var fds: [Int32] = [-1, -1]
        guard cm_pipe(&fds, 1) == 0 else { return }
        signalFD = fds[0]
        writeFD = fds[1]
        if raw {
            var buffer = [UInt8](repeating: 0, count: Int(cm_termios_size()))
            if cm_make_raw(0, &buffer) == 0 {
                saved = buffer
                self.raw = true
            }
        }
        var wanted: [Int32] = watchWindow ? [SIGWINCH] : []
        if self.raw { wanted += Self.terminating.filter { cm_signal_is_default($0) != 0 } }
        if !wanted.isEmpty, cm_install_signal_pipe(wanted, Int32(wanted.count), writeFD) == 0 { installed = wanted }
    }

    /// This terminal's size (stdin's, else stdout's).
    public static func windowSize() -> WindowSize? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        for fd: Int32 in [0, 1] where cm_get_winsize(fd, &rows, &cols) == 0 && rows > 0 && cols > 0 {
            return WindowSize(rows: rows, cols: cols)
        }
        return nil
    }

    /// Drains the signal pipe. Returns whether the window changed; a
    /// terminating signal restores the terminal and kills this process
    /// with that signal (default action), never returning.
    public func takeSignals() -> Bool {
        var buf = [UInt8](repeating: 0, count: 64)
        var resized = false
        while signalFD >= 0 {
            let n = read(signalFD, &buf, buf.count)
            if n <= 0 { break }
            for s in buf[0..<n] {
                let sig = Int32(s)
                if sig == SIGWINCH { resized = true } else if Self.terminating.contains(sig) { die(of: sig) }
            }
        }
        return resized
    }

    private func die(of sig: Int32) -> Never {
        end()
        _ = cm_reset_signal(sig)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(sig)
        exit(128 + sig)
    }

    /// Restores the terminal and the signal dispositions; idempotent.
    public func end() {
        if raw {
            _ = cm_restore_termios(0, saved)
            raw = false
        }
        for sig in installed { _ = cm_reset_signal(sig) }
        installed = []
        for fd in [signalFD, writeFD] where fd >= 0 { close(fd) }
        signalFD = -1
        writeFD = -1
    }

    deinit { end() }
}

/// The client end of `attach` (foreground `run`): forwards this process's
/// stdin to the container and its output to stdout/stderr, puts a terminal
/// in raw mode for `-t` and forwards window size changes.
public enum AttachClient {
    /// How an attached session ended.
    public enum Outcome: Equatable, Sendable {
        case exited(Int32)
        case failed(exitCode: Int32, message: String)
        /// The monitor went away without reporting an exit.
        case disconnected
        /// The user typed the detach keys; the container keeps running.
        case detached
    }

    /// Attaches to the container's main process through its monitor's
    /// socket until it exits; with `detachKeys` (and `stdin`), typing them
    /// ends the session instead and they never reach the container.
    /// `removing` runs when the monitor reports that the process of a `--rm`
    /// container exited and its removal began (the session goes on to the
    /// final exit).
    public static func attach(socketPath: String, stdin: Bool, tty: Bool, detachKeys: DetachKeys? = nil,
                              removing: (Int32) -> Void = { _ in }) throws -> Outcome {
        let fd = try UnixSocket.connect(socketPath)
        defer { close(fd) }
        // The container's terminal starts at this terminal's size (the
        // monitor allocates it with the size of the attach request).
        let size = tty ? TerminalSession.windowSize() : nil
        let initial = size ?? .standard
        try StateFile.writeAll(fd: fd, Array(MonitorRequest.attach(stdin: stdin, rows: initial.rows, cols: initial.cols).line.utf8),
                               path: socketPath)

        let session = TerminalSession(raw: tty && stdin && isatty(0) == 1, watchWindow: size != nil)
        defer { session.end() }

        var reader = FrameReader()
        var stdinOpen = stdin
        var keys = detachKeys
        var buf = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            var polls = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: session.signalFD, events: Int16(POLLIN), revents: 0)]
            if poll(&polls, nfds_t(polls.count), -1) < 0 {
                if errno == EINTR { continue }
                throw SystemError.current("poll", socketPath)
            }
            if polls[2].revents != 0, session.takeSignals(), let now = TerminalSession.windowSize() {
                try? StateFile.writeAll(fd: fd, FrameCodec.encode(.resize, text: "\(now.rows) \(now.cols)"), path: socketPath)
            }
            if polls[1].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n > 0 {
                    var typed = Array(buf[0..<n])
                    var detach = false
                    if let fed = keys?.feed(typed) { (typed, detach) = fed }
                    if !typed.isEmpty { try? StateFile.writeAll(fd: fd, FrameCodec.encode(.stdin, typed), path: socketPath) }
                    if detach { return .detached }
                } else if n == 0 || errno != EINTR {
                    stdinOpen = false
                    try? StateFile.writeAll(fd: fd, FrameCodec.encode(.stdinClose, []), path: socketPath)
                }
            }
            if polls[0].revents != 0 {
                let n = read(fd, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return .disconnected }
                for (type, payload) in reader.feed(buf[0..<n]) {
                    switch type {
                    case .stdout?: try? StateFile.writeAll(fd: 1, payload, path: "stdout")
                    case .stderr?: try? StateFile.writeAll(fd: 2, payload, path: "stderr")
                    case .removing?:
                        removing(Int32(String(decoding: payload, as: UTF8.self)) ?? 0)
                    case .exit?:
                        return .exited(Int32(String(decoding: payload, as: UTF8.self)) ?? 0)
                    case .error?:
                        let text = String(decoding: payload, as: UTF8.self)
                        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
                        return .failed(exitCode: Int32(parts.first ?? "") ?? 125, message: parts.count > 1 ? parts[1] : text)
                    default: break
                    }
                }
            }
        }
    }

    /// `exec -t`: copies between this process's stdio and the master of the
    /// exec'ed process's terminal (stdin only when `stdin`), applies window
    /// changes to it, and returns the process's exit code once it has
    /// exited and its output is drained. Closes `master`; reaps `pid`.
    public static func relay(master: Int32, pid: Int32, stdin: Bool) -> Int32 {
        let pidfd = cm_pidfd_open(pid)
        defer {
            close(master)
            if pidfd >= 0 { close(pidfd) }
        }
        let session = TerminalSession(raw: stdin && isatty(0) == 1, watchWindow: TerminalSession.windowSize() != nil)
        defer { session.end() }
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        var stdinOpen = stdin
        var masterOpen = true
        var buf = [UInt8](repeating: 0, count: 32 * 1024)
        // Input the terminal could not take yet (its buffer is full while the
        // program does not read): stdin waits until it has gone.
        var pending: [UInt8] = []

        /// Copies what the master has now; false at EOF/EIO (no process holds the slave).
        func drain() -> Bool {
            while true {
                let n = read(master, &buf, buf.count)
                if n > 0 { try? StateFile.writeAll(fd: 1, Array(buf[0..<n]), path: "stdout"); continue }
                return n < 0 && (errno == EAGAIN || errno == EINTR)
            }
        }

        while masterOpen || pidfd >= 0 {
            let masterEvents = Int16(POLLIN) | (pending.isEmpty ? 0 : Int16(POLLOUT))
            var polls = [pollfd(fd: masterOpen ? master : -1, events: masterEvents, revents: 0),
                         pollfd(fd: stdinOpen && pending.isEmpty ? 0 : -1, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: session.signalFD, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            if poll(&polls, nfds_t(polls.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if polls[2].revents != 0, session.takeSignals(), let now = TerminalSession.windowSize() {
                _ = cm_set_winsize(master, now.rows, now.cols)
            }
            if polls[1].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n > 0 {
                    pending += buf[0..<n]
                } else if n == 0 || errno != EINTR {
                    stdinOpen = false
                }
            }
            if !pending.isEmpty && masterOpen {
                let n = pending.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
                if n > 0 {
                    pending.removeFirst(n)
                } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    pending = []
                }
            }
            if polls[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { masterOpen = drain() }
            if polls[3].revents != 0 {
                // The process exited: what it wrote is already in the master's buffer.
                if masterOpen { _ = drain() }
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 125 }
        }
        return ContainerMonitor.exitCode(status)
    }
}
