/// What a monitor spawned ahead of its container (`--await-record`) is told
/// once the record exists: which state directories and container, and
/// whether to start the process at once or wait for an attach. One line on
/// the ready socket: `go ` and the fields as compact JSON (`RecordCoding`,
/// which escapes whatever the paths hold).
public struct MonitorAssignment: Hashable, Sendable, Codable {
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
        // Encoding four plain fields cannot fail.
        "go " + ((try? RecordCoding.encode(self).compact) ?? "{}") + "\n"
    }

    /// Reads a line as `line` writes it (without its newline); nil for
    /// anything else (e.g. a CLI that gave up and closed the socket).
    public init?(line: String) {
        guard line.hasPrefix("go "),
              let a = try? RecordCoding.decode(MonitorAssignment.self, from: String(line.dropFirst(3))),
              !a.root.isEmpty, !a.run.isEmpty, !a.id.isEmpty else { return nil }
        self = a
    }
}
