/// What a monitor spawned ahead of its container (`--await-record`) is told
/// once the record exists: which state directories and container, and
/// whether to start the process at once or wait for an attach. One line on
/// the ready socket: `go<TAB>root<TAB>run<TAB>id<TAB>defer|now`, with
/// backslash, tab and newline in the paths escaped (`\\`, `\t`, `\n`).
/// Pure.
public struct MonitorAssignment: Hashable, Sendable {
    public var root: String
    public var run: String
    public var id: String
    public var deferStart: Bool

    public init(root: String, run: String, id: String, deferStart: Bool) {
        self.root = root
        self.run = run
        self.id = id
        self.deferStart = deferStart
    }

    /// The line, newline included.
    public var line: String {
        ["go", Self.escape(root), Self.escape(run), Self.escape(id), deferStart ? "defer" : "now"]
            .joined(separator: "\t") + "\n"
    }

    /// Reads a line as `line` writes it (without its newline); nil for
    /// anything else (e.g. a CLI that gave up and closed the socket).
    public init?(line: String) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == "go", fields[4] == "defer" || fields[4] == "now",
              let root = Self.unescape(fields[1]), let run = Self.unescape(fields[2]),
              let id = Self.unescape(fields[3]), !root.isEmpty, !run.isEmpty, !id.isEmpty else { return nil }
        self.init(root: root, run: run, id: id, deferStart: fields[4] == "defer")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func unescape(_ s: Substring) -> String? {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "\\": out += "\\"
                case "t": out += "\t"
                case "n": out += "\n"
                default: return nil
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return escaped ? nil : out
    }
}
