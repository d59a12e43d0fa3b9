/// Formats aggregated log lines the way `docker compose logs` / attached
/// `up` do: `web-1  | text`, the name padded to the widest container name and
/// colored per service (the same service always gets the same color).
public struct LogPrefixer: Sendable {
    public struct Options: Sendable {
        public var color: Bool
        public var timestamps: Bool
        public var prefix: Bool

        public init(color: Bool = true, timestamps: Bool = false, prefix: Bool = true) {
            self.color = color
            self.timestamps = timestamps
            self.prefix = prefix
        }
    }

    /// ANSI SGR codes cycled through in order of first appearance: cyan,
    /// yellow, green, magenta, blue, then their bright variants.
    static let palette = ["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"]

    public var options: Options
    private var width: Int
    private var colors: [String: String] = [:]

    /// `names` are the container names known up front; the width grows if a
    /// longer name shows up later (e.g. a scaled-up replica).
    public init(names: [String], options: Options = Options()) {
        self.options = options
        self.width = names.map(\.count).max() ?? 0
    }

    /// Assigns colors by service, in the given order, so colors are stable
    /// across runs of the same project.
    public mutating func assignColors(services: [String]) {
        for service in services where colors[service] == nil {
            colors[service] = Self.palette[colors.count % Self.palette.count]
        }
    }

    /// One output line (without trailing newline).
    public mutating func format(container: String, service: String, line: String, timestamp: String? = nil) -> String {
        var text = line
        if options.timestamps, let timestamp { text = timestamp + " " + text }
        return head(container: container, service: service) + text
    }

    /// What goes before a line of `container` (empty without prefixes):
    /// computed once per container and batch rather than once per line.
    public mutating func head(container: String, service: String) -> String {
        width = max(width, container.count)
        guard options.prefix else { return "" }
        let head = container + String(repeating: " ", count: width - container.count) + "  | "
        guard OutputMode.color(options.color) else { return head }
        if colors[service] == nil { assignColors(services: [service]) }
        return "\u{1B}[\(colors[service] ?? "0")m" + head + "\u{1B}[0m"
    }

    /// Makes room for names not seen yet (all containers of a listing), so
    /// that every line of one batch gets the same width.
    public mutating func widen(to names: [String]) {
        width = max(width, names.map(\.count).max() ?? 0)
    }

    /// A marker line for lifecycle events, e.g. `web-1 exited with code 1`.
    public mutating func event(container: String, service: String, _ message: String) -> String {
        guard OutputMode.color(options.color) else { return message }
        if colors[service] == nil { assignColors(services: [service]) }
        return "\u{1B}[\(colors[service] ?? "0")m" + message + "\u{1B}[0m"
    }
}
