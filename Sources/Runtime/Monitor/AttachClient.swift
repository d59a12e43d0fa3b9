import CMonitor
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

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
    }

    public static func attach(socketPath: String, stdin: Bool, tty: Bool) throws -> Outcome {
        let fd = try UnixSocket.connect(socketPath)
        defer { close(fd) }
        var rows: UInt16 = 24, cols: UInt16 = 80
        let terminal = tty && isatty(0) == 1
        if terminal { _ = cm_get_winsize(0, &rows, &cols) }
        try StateFile.writeAll(fd: fd, Array(MonitorRequest.attach(stdin: stdin, rows: rows, cols: cols).line.utf8),
                               path: socketPath)

        var saved = [UInt8](repeating: 0, count: Int(cm_termios_size()))
        let raw = terminal && stdin && cm_make_raw(0, &saved) == 0
        defer { if raw { _ = cm_restore_termios(0, saved) } }

        var sig: [Int32] = [-1, -1]
        if terminal, cm_pipe(&sig, 1) == 0 {
            var which: [Int32] = [SIGWINCH]
            _ = cm_install_signal_pipe(&which, 1, sig[1])
        }
        defer { for s in sig where s >= 0 { close(s) } }

        var reader = FrameReader()
        var stdinOpen = stdin
        var buf = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            var polls = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: sig[0], events: Int16(POLLIN), revents: 0)]
            if poll(&polls, nfds_t(polls.count), -1) < 0 {
                if errno == EINTR { continue }
                throw SystemError.current("poll", socketPath)
            }
            if polls[2].revents != 0 {
                _ = read(sig[0], &buf, buf.count)
                if cm_get_winsize(0, &rows, &cols) == 0 {
                    try? StateFile.writeAll(fd: fd, FrameCodec.encode(.resize, text: "\(rows) \(cols)"), path: socketPath)
                }
            }
            if polls[1].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n > 0 {
                    try? StateFile.writeAll(fd: fd, FrameCodec.encode(.stdin, buf[0..<n]), path: socketPath)
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
}
