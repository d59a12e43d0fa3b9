import ArgumentParser
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The one place where errors become text on stderr and an exit code.
/// Exit codes follow docker / docker compose: 1 for a failed command,
/// 125 when berth itself fails while running a container (set by callers
/// through `ExitCode`).
enum ErrorRendering {
    /// Renders errors berth knows; returns the exit code to use, or nil to
    /// let ArgumentParser handle the error (usage errors, --help, --version).
    static func render(_ error: any Error) -> Int32? {
        switch error {
        case let e as DiagnosticsError:
            for d in e.diagnostics {
                writeStderr(prefix(d.severity) + d.description)
            }
            return 1
        case let e as SystemError:
            writeStderr("Error: " + e.description)
            return 1
        case let e as UserError:
            writeStderr("Error: " + e.message)
            return e.exitCode
        case let e as ExitCode:
            // A command's own exit code (`run` passing on the container's):
            // nothing to print. ArgumentParser's `exit(withError:)` would
            // build the command's whole help text first (≈ 0.4 ms for `run`).
            return e.rawValue
        default:
            return nil
        }
    }

    /// Prints diagnostics that do not fail the command (warnings) to stderr.
    static func renderWarnings(_ warnings: [Diagnostic]) {
        for d in warnings {
            writeStderr(prefix(d.severity) + d.description)
        }
    }

    private static func prefix(_ s: Diagnostic.Severity) -> String {
        s == .warning ? "warning: " : "error: "
    }
}

/// An error whose message is meant for the user as is.
public struct UserError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// Writes one line to standard error, unbuffered.
func writeStderr(_ line: String) {
    var text = line.hasSuffix("\n") ? line : line + "\n"
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(2, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Flushes buffered output and exits with `code`.
func exitProcess(_ code: Int32) -> Never {
    fflush(nil)
    Glibc.exit(code)
}
