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
        guard text.containsByte(UInt8(ascii: "$")) else { return Output(text: text, unset: []) }
        // The scanner works on UTF-8 bytes: every character of the syntax
        // is ASCII, and no byte of a multi-byte character is ASCII.
        let bytes = Array(text.utf8)
        return try withoutActuallyEscaping(lookup) { (lookup) throws(Failure) -> Output in
            var scanner = Scanner(bytes: bytes, lookup: lookup)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            try scanner.expand(from: 0, to: bytes.count, into: &out)
            return Output(text: String(decoding: out, as: UTF8.self), unset: scanner.unset)
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        let lookup: (String) -> String?
        var unset: [String] = []

        static let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")

        static func isNameStart(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
        }
        static func isNameChar(_ c: UInt8) -> Bool {
            isNameStart(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
        }

        func text(_ range: Range<Int>) -> String {
            String(decoding: bytes[range], as: UTF8.self)
        }

        /// A failure at byte offset `dollar`, reported in unicode scalars.
        func failure(_ kind: Failure.Kind, at dollar: Int) -> Failure {
            let scalarOffset = bytes[..<dollar].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
            return Failure(kind: kind, offset: scalarOffset)
        }

        /// Expands bytes[start..<end], appending to `out`.
        mutating func expand(from start: Int, to end: Int, into out: inout [UInt8]) throws(Failure) {
            var i = start
            while i < end {
                let c = bytes[i]
                guard c == Scanner.dollar, i + 1 < end else {
                    out.append(c)
                    i += 1
                    continue
                }
                let next = bytes[i + 1]
                if next == Scanner.dollar {
                    out.append(Scanner.dollar)
                    i += 2
                } else if Scanner.isNameStart(next) {
                    var j = i + 1
                    while j < end, Scanner.isNameChar(bytes[j]) { j += 1 }
                    out.append(contentsOf: value(of: text((i + 1)..<j)).utf8)
                    i = j
                } else if next == Scanner.open {
                    let close = try closingBrace(dollar: i, limit: end)
                    try braced(dollar: i, close: close, into: &out)
                    i = close + 1
                } else {
                    out.append(c)
                    i += 1
                }
            }
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
                let c = bytes[i]
                if c == Scanner.dollar, i + 1 < limit {
                    if bytes[i + 1] == Scanner.open { depth += 1; i += 2; continue }
                    if bytes[i + 1] == Scanner.dollar { i += 2; continue }
                }
                if c == Scanner.close {
                    if depth == 0 { return i }
                    depth -= 1
                }
                i += 1
            }
            throw failure(.malformed(expression: text(dollar..<limit)), at: dollar)
        }

        /// Evaluates `${…}` spanning bytes[dollar...close], appending to `out`.
        mutating func braced(dollar: Int, close: Int, into out: inout [UInt8]) throws(Failure) {
            let malformed = failure(.malformed(expression: text(dollar..<(close + 1))), at: dollar)
            var i = dollar + 2
            guard i < close, Scanner.isNameStart(bytes[i]) else { throw malformed }
            while i < close, Scanner.isNameChar(bytes[i]) { i += 1 }
            let name = text((dollar + 2)..<i)
            if i == close {
                out.append(contentsOf: value(of: name).utf8)
                return
            }

            var colon = false
            if bytes[i] == UInt8(ascii: ":") { colon = true; i += 1 }
            guard i < close else { throw malformed }
            let op = bytes[i]
            guard op == UInt8(ascii: "-") || op == UInt8(ascii: "?") || op == UInt8(ascii: "+") else { throw malformed }
            let wordStart = i + 1
            let current = lookup(name)
            // `:` makes an empty value count as missing.
            let present = colon ? !(current ?? "").isEmpty : current != nil
            switch op {
            case UInt8(ascii: "-"):
                if present { out.append(contentsOf: (current ?? "").utf8) } else {
                    try expand(from: wordStart, to: close, into: &out)
                }
            case UInt8(ascii: "+"):
                if present { try expand(from: wordStart, to: close, into: &out) }
            default: // "?"
                if present {
                    out.append(contentsOf: (current ?? "").utf8)
                    return
                }
                var message: [UInt8] = []
                try expand(from: wordStart, to: close, into: &message)
                throw failure(.missingRequired(name: name, message: String(decoding: message, as: UTF8.self)),
                              at: dollar)
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

    /// The fewest services a document needs for `applyToDocument` to walk
    /// them in two halves at once.
    static let splitThreshold = 64

    /// `apply(to:)` for a whole compose document: when its `services`
    /// mapping has at least `splitThreshold` entries, the second half of
    /// them is walked on another thread while this one walks the keys
    /// before it and the first half, then this one walks the keys after
    /// it. The result and the diagnostics are exactly `apply(to:)`'s: the
    /// second half's diagnostics come after the first half's, and an unset
    /// variable is reported at its first use in document order only (a
    /// warning of the second half is dropped when the part walked before it
    /// reported that variable; the keys after `services` know both halves).
    static func applyToDocument(_ document: Node,
                                lookup: @escaping @Sendable (String) -> String?) -> (Node, [Diagnostic]) {
        guard case let .mapping(top) = document.kind,
              let at = top.lastIndex(where: { $0.key.scalarValue == "services" }),
              case let .mapping(services) = top[at].value.kind, services.count >= splitThreshold
        else { return apply(to: document, lookup: lookup) }
        let middle = services.count / 2
        let servicesKey = NodePath.Component.key("services")
        let (head, tail) = Concurrently.run({ () -> (Walker, [Node.Pair]?, [Node.Pair]?) in
            var walker = Walker(components: [])
            var topOut: [Node.Pair]?
            walker.walk(top, top.indices[..<at], into: &topOut, lookup: lookup)
            walker.components.append(servicesKey)
            var servicesOut: [Node.Pair]?
            walker.walk(services, services.indices[..<middle], into: &servicesOut, lookup: lookup)
            walker.components.removeLast()
            return (walker, topOut, servicesOut)
        }, beside: { () -> (Walker, [Node.Pair]?) in
            var walker = Walker(components: [servicesKey])
            var servicesOut: [Node.Pair]?
            walker.walk(services, services.indices[middle...], into: &servicesOut, lookup: lookup)
            return (walker, servicesOut)
        })
        var (walker, topOut, headOut) = head
        walker.absorb(tail.0)
        var servicesOut = headOut
        if let tailOut = tail.1 {
            if servicesOut == nil { servicesOut = services }
            for i in services.indices[middle...] { servicesOut?[i] = tailOut[i] }
        }
        if let servicesOut {
            if topOut == nil { topOut = top }
            topOut?[at].value.kind = .mapping(servicesOut)
        }
        walker.walk(top, top.indices[(at + 1)...], into: &topOut, lookup: lookup)
        guard let topOut else { return (document, walker.diagnostics) }
        var copy = document
        copy.kind = .mapping(topOut)
        return (copy, walker.diagnostics)
    }

    /// One pass over a tree. Subtrees without a `$` are shared, never
    /// copied (`walk` returns nil for them), and the key path is a stack
    /// rendered only for a diagnostic.
    private struct Walker {
        var components: [NodePath.Component]
        var diagnostics: [Diagnostic] = []
        var warned: Set<String> = []
        /// For each diagnostic, the unset variable it reports (nil for errors).
        var unsetNames: [String?] = []

        var path: String { NodePath(components).description }

        /// The interpolated node, or nil when nothing in it changes.
        mutating func walk(_ node: Node, lookup: (String) -> String?) -> Node? {
            switch node.kind {
            case let .scalar(text, style):
                // Without a `$` the text stays as it is.
                guard text.containsByte(UInt8(ascii: "$")) else { return nil }
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
                        unsetNames.append(name)
                        diagnostics.append(Diagnostic(.warning, at: node.mark, keyPath: path,
                                                      "The \"\(name)\" variable is not set. Defaulting to a blank string."))
                    }
                } catch {
                    unsetNames.append(nil)
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
                walk(pairs, pairs.indices, into: &out, lookup: lookup)
                guard let out else { return nil }
                var copy = node
                copy.kind = .mapping(out)
                return copy
            }
        }

        /// The values of `pairs` in `range`: `out` becomes a copy of
        /// `pairs` at the first one that changes, with the new values in it.
        mutating func walk<R: RangeExpression<Int>>(_ pairs: [Node.Pair], _ range: R, into out: inout [Node.Pair]?,
                                                     lookup: (String) -> String?) {
            for i in pairs.indices[range] {
                components.append(.key(pairs[i].key.scalarValue ?? "?"))
                if let new = walk(pairs[i].value, lookup: lookup) {
                    if out == nil { out = pairs }
                    out?[i].value = new
                }
                components.removeLast()
            }
        }

        /// Appends the diagnostics of a walk over what comes next in the
        /// document, as if this walker had gone on: unset variables it
        /// reported already are not reported again.
        mutating func absorb(_ next: Walker) {
            for (diagnostic, name) in zip(next.diagnostics, next.unsetNames) {
                if let name {
                    guard warned.insert(name).inserted else { continue }
                }
                unsetNames.append(name)
                diagnostics.append(diagnostic)
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
