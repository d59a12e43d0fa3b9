import Diagnostics
import YAML

/// Compose variable substitution (compose-spec 12-interpolation.md):
/// `$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:?msg}`, `${V?msg}`, `${V:+r}`,
/// `${V+r}`, nested expressions inside the word, and `$$` for a literal `$`.
/// A `$` not followed by a name, `{` or `$` is kept as is; a `${` that does
/// not form a valid expression is an error.
public enum Interpolation {
    /// What went wrong in one string, with the scalar offset of the `$`
    /// that starts the offending expression.
    public struct Failure: Error, Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            /// `${A:?msg}` / `${A?msg}` with A missing (or empty for `:?`).
            case missingRequired(name: String, message: String)
            /// A `${…}` that is not a valid expression, or is not closed.
            case malformed(expression: String)
        }
        public var kind: Kind
        /// Offset in unicode scalars from the start of the string.
        public var offset: Int

        public var message: String {
            switch kind {
            case let .missingRequired(name, message):
                return "required variable \"\(name)\" is missing a value" + (message.isEmpty ? "" : ": \(message)")
            case let .malformed(expression):
                return "invalid interpolation format \"\(expression)\""
            }
        }

        public var hint: String? {
            if case .malformed = kind { return "write a literal $ as $$" }
            return nil
        }
    }

    /// The substituted text and the names of variables that were used
    /// without a value or default (each becomes a warning).
    public struct Output: Hashable, Sendable {
        public var text: String
        public var unset: [String]
    }

    /// Substitutes variables in `text`, looking names up with `lookup`.
    public static func substitute(_ text: String, lookup: (String) -> String?) throws(Failure) -> Output {
        // Fast path: nothing to do without a `$`.
        guard text.utf8.contains(UInt8(ascii: "$")) else { return Output(text: text, unset: []) }
        let scalars = Array(text.unicodeScalars)
        return try withoutActuallyEscaping(lookup) { (lookup) throws(Failure) -> Output in
            var scanner = Scanner(scalars: scalars, lookup: lookup)
            let result = try scanner.expand(from: 0, to: scalars.count)
            return Output(text: result, unset: scanner.unset)
        }
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        let lookup: (String) -> String?
        var unset: [String] = []

        static func isNameStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
        }
        static func isNameChar(_ c: Unicode.Scalar) -> Bool {
            isNameStart(c) || ("0"..."9").contains(c)
        }

        /// Expands scalars[start..<end].
        mutating func expand(from start: Int, to end: Int) throws(Failure) -> String {
            var out = String.UnicodeScalarView()
            var i = start
            while i < end {
                let c = scalars[i]
                guard c == "$", i + 1 < end else {
                    out.append(c)
                    i += 1
                    continue
                }
                let next = scalars[i + 1]
                if next == "$" {
                    out.append("$")
                    i += 2
                } else if Scanner.isNameStart(next) {
                    var j = i + 1
                    while j < end, Scanner.isNameChar(scalars[j]) { j += 1 }
                    let name = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
                    out.append(contentsOf: value(of: name).unicodeScalars)
                    i = j
                } else if next == "{" {
                    let close = try closingBrace(dollar: i, limit: end)
                    let value = try braced(dollar: i, close: close)
                    out.append(contentsOf: value.unicodeScalars)
                    i = close + 1
                } else {
                    out.append(c)
                    i += 1
                }
            }
            return String(out)
        }

        mutating func value(of name: String) -> String {
            if let v = lookup(name) { return v }
            if !unset.contains(name) { unset.append(name) }
            return ""
        }

        /// The index of the `}` closing the `${` at `dollar`, counting nested `${`.
        func closingBrace(dollar: Int, limit: Int) throws(Failure) -> Int {
            var depth = 0
            var i = dollar + 2
            while i < limit {
                let c = scalars[i]
                if c == "$", i + 1 < limit {
                    if scalars[i + 1] == "{" { depth += 1; i += 2; continue }
                    if scalars[i + 1] == "$" { i += 2; continue }
                }
                if c == "}" {
                    if depth == 0 { return i }
                    depth -= 1
                }
                i += 1
            }
            throw Failure(kind: .malformed(expression: String(String.UnicodeScalarView(scalars[dollar..<limit]))),
                          offset: dollar)
        }

        /// Evaluates `${…}` spanning scalars[dollar...close].
        mutating func braced(dollar: Int, close: Int) throws(Failure) -> String {
            let malformed = Failure(kind: .malformed(expression: String(String.UnicodeScalarView(scalars[dollar...close]))),
                                    offset: dollar)
            var i = dollar + 2
            guard i < close, Scanner.isNameStart(scalars[i]) else { throw malformed }
            while i < close, Scanner.isNameChar(scalars[i]) { i += 1 }
            let name = String(String.UnicodeScalarView(scalars[(dollar + 2)..<i]))
            if i == close { return value(of: name) }

            var colon = false
            if scalars[i] == ":" { colon = true; i += 1 }
            guard i < close else { throw malformed }
            let op = scalars[i]
            guard op == "-" || op == "?" || op == "+" else { throw malformed }
            let wordStart = i + 1
            let current = lookup(name)
            // `:` makes an empty value count as missing.
            let present = colon ? !(current ?? "").isEmpty : current != nil
            switch op {
            case "-":
                return present ? (current ?? "") : try expand(from: wordStart, to: close)
            case "+":
                return present ? try expand(from: wordStart, to: close) : ""
            default: // "?"
                if present { return current ?? "" }
                let message = try expand(from: wordStart, to: close)
                throw Failure(kind: .missingRequired(name: name, message: message), offset: dollar)
            }
        }
    }

    // MARK: Trees

    /// Interpolates every scalar value of `node` (never mapping keys).
    /// Errors carry the scalar's position — the exact column of the `$`
    /// for plain single-line scalars — and its key path. Unset variables
    /// produce one warning each (at their first use).
    public static func apply(to node: Node, path: NodePath = .root,
                             lookup: (String) -> String?) -> (Node, [Diagnostic]) {
        var walker = Walker(components: path.components)
        let result = walker.walk(node, lookup: lookup) ?? node
        return (result, walker.diagnostics)
    }

    /// One pass over a tree. Subtrees without a `$` are shared, never
    /// copied (`walk` returns nil for them), and the key path is a stack
    /// rendered only for a diagnostic.
    private struct Walker {
        var components: [NodePath.Component]
        var diagnostics: [Diagnostic] = []
        var warned: Set<String> = []

        var path: String { NodePath(components).description }

        /// The interpolated node, or nil when nothing in it changes.
        mutating func walk(_ node: Node, lookup: (String) -> String?) -> Node? {
            switch node.kind {
            case let .scalar(text, style):
                // Without a `$` the text stays as it is.
                guard text.utf8.contains(UInt8(ascii: "$")) else { return nil }
                var copy = node
                do {
                    let out = try substitute(text, lookup: lookup)
                    // A substituted value is a string: `${UNSET}` must not turn
                    // into YAML's null, so a null-looking result gets quoted.
                    let nullLooking = ["", "~", "null", "Null", "NULL"].contains(out.text)
                    let newStyle = out.text != text && style == .plain && nullLooking && node.tag == nil
                        ? ScalarStyle.doubleQuoted : style
                    copy.kind = .scalar(out.text, newStyle)
                    for name in out.unset where !warned.contains(name) {
                        warned.insert(name)
                        diagnostics.append(Diagnostic(.warning, at: node.mark, keyPath: path,
                                                      "The \"\(name)\" variable is not set. Defaulting to a blank string."))
                    }
                } catch {
                    diagnostics.append(Diagnostic(.error, at: position(of: error.offset, in: node),
                                                  keyPath: path, error.message, hint: error.hint))
                }
                return copy
            case let .sequence(items):
                var out: [Node]? = nil
                for i in items.indices {
                    components.append(.index(i))
                    if let new = walk(items[i], lookup: lookup) {
                        if out == nil { out = items }
                        out?[i] = new
                    }
                    components.removeLast()
                }
                guard let out else { return nil }
                var copy = node
                copy.kind = .sequence(out)
                return copy
            case let .mapping(pairs):
                var out: [Node.Pair]? = nil
                for i in pairs.indices {
                    components.append(.key(pairs[i].key.scalarValue ?? "?"))
                    if let new = walk(pairs[i].value, lookup: lookup) {
                        if out == nil { out = pairs }
                        out?[i].value = new
                    }
                    components.removeLast()
                }
                guard let out else { return nil }
                var copy = node
                copy.kind = .mapping(out)
                return copy
            }
        }
    }

    /// The mark of scalar offset `offset` inside `node`: exact for plain
    /// single-line scalars, the scalar's own mark otherwise.
    static func position(of offset: Int, in node: Node) -> Mark {
        guard case let .scalar(text, .plain) = node.kind, !node.mark.isSynthetic,
              !text.unicodeScalars.contains("\n") else { return node.mark }
        var mark = node.mark
        mark.column += offset
        return mark
    }
}
