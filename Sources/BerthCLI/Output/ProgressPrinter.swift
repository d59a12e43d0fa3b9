import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes a ProgressBoard to stderr: redrawn in place on a terminal, one
/// plain line per change when piped (so CI logs stay readable).
final class ProgressPrinter: Sendable {
    private struct State {
        var board = ProgressBoard()
        var drawnLines = 0
    }

    private let state = Mutex(State())
    private let tty: Bool
    private let color: Bool
    private let quiet: Bool

    /// `--progress tty|plain|quiet` override the terminal check; `--ansi` the color.
    init(color: Bool = true) {
        let mode = OutputMode.settings
        switch mode.progress {
        case .tty: tty = true
        case .plain, .json, .quiet: tty = false
        case .auto: tty = isatty(2) != 0
        }
        quiet = mode.progress == .quiet
        self.color = mode.ansi == .always || (mode.ansi == .auto && color && tty)
    }

    func update(_ kind: String, _ name: String, _ status: ProgressBoard.Status) {
        if quiet { return }
        state.withLock { s in
            if let old = s.board.rows.first(where: { $0.kind == kind && $0.name == name }), old.status == status { return }
            let row = s.board.update(kind, name, status)
            if tty {
                redraw(&s)
            } else {
                writeStderr(ProgressBoard.plainLine(row))
            }
        }
    }

    /// Leaves the final block on screen.
    func finish() {
        state.withLock { s in if tty && s.drawnLines > 0 { redraw(&s) } }
    }

    private func redraw(_ s: inout State) {
        var text = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A" : ""
        let lines = s.board.renderBlock(color: color)
        for line in lines { text += "\u{1B}[2K" + line + "\n" }
        s.drawnLines = lines.count
        writeStderr(String(text.dropLast()))
    }
}
