/// One problem found in user input. Loaders collect these rather than
/// throwing at the first one, so the user sees every problem at once.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Comparable {
        case warning, error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .warning && rhs == .error
        }
    }

    public var severity: Severity
    public var mark: Mark?
    /// Dotted key path into the document, e.g. `services.web.ports[1]`.
    public var keyPath: String
    public var message: String
    /// A likely fix, e.g. `did you mean "80:80"?`.
    public var hint: String?

    public init(_ severity: Severity = .error, at mark: Mark?, keyPath: String = "",
                _ message: String, hint: String? = nil) {
        self.severity = severity
        self.mark = mark
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
    }

    /// `compose.yaml:14:9: services.web.ports[1]: invalid port "80:8o" (did you mean "80:80"?)`
    public var description: String {
        var parts: [String] = []
        if let mark { parts.append(mark.description) }
        if !keyPath.isEmpty { parts.append(keyPath) }
        var text = (parts + [message]).joined(separator: ": ")
        if let hint { text += " (\(hint))" }
        return text
    }
}

extension Array where Element == Diagnostic {
    /// Sorted by file, line and column; diagnostics without a mark come first.
    public func sortedByPosition() -> [Diagnostic] {
        enumerated().sorted { a, b in
            switch (a.element.mark, b.element.mark) {
            case let (x?, y?): return x == y ? a.offset < b.offset : x < y
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}

/// Thrown when user input has at least one error. Carries every diagnostic.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sortedByPosition()
    }

    public init(_ diagnostic: Diagnostic) {
        self.init([diagnostic])
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
