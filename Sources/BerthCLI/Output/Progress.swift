/// Compose-style progress: one line per resource (`Network hello_default
/// Created`, `Container hello-web-1  Started`). On a terminal the block is
/// redrawn in place with a `[+] Running 2/3` header; when piped each change
/// is printed once as a plain line. `ProgressBoard` is pure: it holds state
/// and renders text; `ProgressPrinter` writes it.
public struct ProgressBoard: Sendable {
    public enum Status: Hashable, Sendable {
        case working(String)   // e.g. "Creating", "Starting", "Waiting"
        case done(String)      // e.g. "Created", "Started", "Healthy"
        case failed(String)    // e.g. "Error"
        case warning(String)

        var text: String {
            switch self {
            case let .working(t), let .done(t), let .failed(t), let .warning(t): t
            }
        }

        var finished: Bool {
            if case .working = self { return false }
            return true
        }
    }

    public struct Row: Hashable, Sendable {
        public var kind: String      // "Network", "Volume", "Container", "Image"
        public var name: String
        public var status: Status
        public var seconds: Double?
    }

    public private(set) var rows: [Row] = []
    public var title: String

    public init(title: String = "Running") {
        self.title = title
    }

    /// Adds or updates the row for `kind name`. Returns the row.
    @discardableResult
    public mutating func update(_ kind: String, _ name: String, _ status: Status, seconds: Double? = nil) -> Row {
        let row = Row(kind: kind, name: name, status: status, seconds: seconds)
        if let i = rows.firstIndex(where: { $0.kind == kind && $0.name == name }) {
            rows[i] = row
        } else {
            rows.append(row)
        }
        return row
    }

    public var finishedCount: Int { rows.filter { $0.status.finished }.count }

    /// The plain, one-line form of a row: ` Container hello-web-1  Started`.
    public static func plainLine(_ row: Row) -> String {
        " \(row.kind) \(row.name)  \(row.status.text)"
    }

    /// The terminal block: header and one aligned line per row.
    public func renderBlock(color: Bool) -> [String] {
        let nameWidth = rows.map { $0.kind.count + 1 + $0.name.count }.max() ?? 0
        var lines = ["[+] \(title) \(finishedCount)/\(rows.count)"]
        for row in rows {
            let (mark, code): (String, String) = switch row.status {
            case .working: ("⠿", "0")
            case .done: ("✔", "32")
            case .failed: ("✘", "31")
            case .warning: ("!", "33")
            }
            let label = "\(row.kind) \(row.name)"
            var line = " \(color ? "\u{1B}[\(code)m\(mark)\u{1B}[0m" : mark) \(label)"
                + String(repeating: " ", count: nameWidth - label.count) + "  \(row.status.text)"
            if let s = row.seconds { line += "  " + formatSeconds(s) }
            lines.append(line)
        }
        return lines
    }

    func formatSeconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
