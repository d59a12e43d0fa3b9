import Diagnostics
import YAML

/// What a scalar means once YAML's core schema (and the tag) is applied.
/// Quoted scalars are always strings; plain ones may be null, booleans or
/// numbers. Compose fields then decide what they accept.
enum ScalarMeaning: Hashable, Sendable {
    case null, bool(Bool), int(Int), float(Double), string

    var description: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .float: "a number"
        case .string: "a string"
        }
    }
}

extension Node {
    /// YAML 1.2 core-schema resolution of a scalar (nil for collections).
    var scalarMeaning: ScalarMeaning? {
        guard case let .scalar(text, style) = kind else { return nil }
        switch tag {
        case "tag:yaml.org,2002:str": return .string
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:bool": return ScalarText.coreBool(text).map { .bool($0) } ?? .string
        case "tag:yaml.org,2002:int": return ScalarText.integer(text).map { .int($0) } ?? .string
        case "tag:yaml.org,2002:float": return Double(text).map { .float($0) } ?? .string
        case nil: break
        default: return .string
        }
        guard style == .plain else { return .string }
        if let first = text.utf8.first, Self.startsOnlyStrings(first) { return .string }
        if isNull { return .null }
        if let b = ScalarText.coreBool(text) { return .bool(b) }
        if let i = ScalarText.integer(text) { return .int(i) }
        if ScalarText.isCoreFloat(text), let d = Double(text) { return .float(d) }
        return .string
    }

    /// A short description of what this node is, for messages.
    var shapeDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case let .scalar(text, _):
            if isNull { return "null" }
            return "\"\(text)\""
        }
    }
}

/// Parsers for the textual forms Compose uses inside scalars.
enum ScalarText {
    /// YAML 1.2 core booleans.
    static func coreBool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// Booleans as docker compose accepts them for boolean fields,
    /// including YAML 1.1's yes/no/on/off/y/n.
    static func composeBool(_ s: String) -> Bool? {
        // Most texts are none of these: ruled out by length and first byte
        // before the string comparisons (calls into the standard library).
        guard s.utf8.count <= 5, let first = s.utf8.first, first | 0x20 == 0x74 || first | 0x20 == 0x79
                || first | 0x20 == 0x6F || first | 0x20 == 0x66 || first | 0x20 == 0x6E else { return nil }
        return switch s {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON": true
        case "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF": false
        default: nil
        }
    }

    /// YAML 1.2 core integers: decimal with optional sign, `0o` octal, `0x` hex.
    static func integer(_ s: String) -> Int? {
        let u = s.utf8
        guard let first = u.first else { return nil }
        if first == 0x30, u.count > 2 {   // "0x…" / "0o…"
            let second = u[u.index(after: u.startIndex)]
            if second == 0x78 { return Int(s.dropFirst(2), radix: 16) }
            if second == 0x6f { return Int(s.dropFirst(2), radix: 8) }
        }
        var digits = 0
        for (i, c) in u.enumerated() {
            if i == 0, c == 0x2d || c == 0x2b { continue }
            guard c >= 0x30, c <= 0x39 else { return nil }
            digits += 1
        }
        return digits > 0 ? Int(s) : nil
    }

    /// YAML 1.2 core floats (`1.5`, `-.5`, `1e3`, `.inf`, `.nan`).
    static func isCoreFloat(_ s: String) -> Bool {
        guard let first = s.utf8.first, first == 0x2e || first == 0x2d || first == 0x2b || (first >= 0x30 && first <= 0x39) else {
            return false
        }
        // The special values start with a dot or a sign (not with a digit).
        if first == 0x2e || first == 0x2d || first == 0x2b {
            switch s {
            case ".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf", "-.Inf", ".nan", ".NaN", ".NAN": return true
            default: break
            }
        }
        // The bytes in place (no array made per call).
        var text = s
        return text.withUTF8(isCoreFloatNumber)
    }

    /// The digits of a core-schema float (`isCoreFloat` without the
    /// special values); `chars` is not empty.
    private static func isCoreFloatNumber(_ chars: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0, mantissaDigits = 0
        if chars[0] == 0x2d || chars[0] == 0x2b { i = 1 }
        while i < chars.count, chars[i] >= 48, chars[i] <= 57 { i += 1; mantissaDigits += 1 }
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            i += 1
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < chars.count, chars[i] == UInt8(ascii: "e") || chars[i] == UInt8(ascii: "E") {
            i += 1
            if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") { i += 1 }
            let start = i
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        return i == chars.count
    }

    /// A byte size: a plain number of bytes or `{amount}{unit}` with units
    /// b, k/kb, m/mb, g/gb (also t/p, an optional `i`, any case, binary
    /// multiples as docker does). `-1` is accepted where `allowUnlimited`.
    static func byteSize(_ raw: String, allowUnlimited: Bool = false) -> Int64? {
        let s = raw.trimmingSpaces
        if allowUnlimited, s == "-1" { return -1 }
        let utf8 = Substring(s).utf8
        let number = utf8.prefix(while: { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e })
        guard let first = number.first, first != 0x2e, number.last != 0x2e,
              number.count(where: { $0 == 0x2e }) <= 1,
              let amount = Double(String(decoding: number, as: UTF8.self)) else { return nil }
        var rest = utf8.dropFirst(number.count)
        if rest.first == 0x20 { rest = rest.dropFirst() }
        var unit = String(decoding: rest, as: UTF8.self).lowercased()
        if unit.hasSuffix("b") { unit.removeLast() }
        if unit.hasSuffix("i"), unit.count == 2 { unit.removeLast() }
        let multiplier: Double
        switch unit {
        case "": multiplier = 1
        case "k": multiplier = 1024
        case "m": multiplier = 1024 * 1024
        case "g": multiplier = 1024 * 1024 * 1024
        case "t": multiplier = 1024 * 1024 * 1024 * 1024
        case "p": multiplier = 1024 * 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = amount * multiplier
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }

    /// Splits a command string into words like a POSIX shell would
    /// (quotes and backslashes), without expanding anything. This is how
    /// Compose turns `command: echo "a b"` into `["echo", "a b"]`.
    static func shellWords(_ s: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for c in s {
            if escaped {
                if quote == "\"", !["\"", "\\", "$", "`", "\n"].contains(c) { current.append("\\") }
                if c != "\n" { current.append(c) }
                escaped = false
                inWord = true
                continue
            }
            switch (quote, c) {
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case ("'", _):
                current.append(c)
            case (_, "\\"):
                escaped = true
            case ("\"", _):
                current.append(c)
            case (nil, "'"), (nil, "\""):
                quote = c
                inWord = true
            case (nil, " "), (nil, "\t"), (nil, "\n"):
                if inWord { words.append(current); current = ""; inWord = false }
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil || escaped { return nil }
        if inWord { words.append(current) }
        return words
    }
}

extension String {
    var trimmingSpaces: String {
        guard let first = utf8.first, let last = utf8.last,
              first == 0x20 || first == 0x09 || first == 0x0a || first == 0x0d
                || last == 0x20 || last == 0x09 || last == 0x0a || last == 0x0d else { return self }
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension Node {
    /// A string scalar written so that a YAML reader reads it back as a
    /// string: quoted when the plain form would mean null, a bool or a number.
    static func string(_ value: String, mark: Mark) -> Node {
        let plain = Node.scalar(value, mark: mark)
        return needsQuotes(value, plain: plain) ? .scalar(value, style: .doubleQuoted, mark: mark) : plain
    }

    /// `string(_:mark:)` of a scalar's own text at its own mark: the node
    /// itself when it already is what that would make (untagged, plain or
    /// double-quoted as needed), so that unchanged values are shared, not
    /// copied; nil for a collection.
    static func string(of node: Node) -> Node? {
        guard case let .scalar(text, style) = node.kind else { return nil }
        guard node.tag == nil, style == .plain || style == .doubleQuoted else { return string(text, mark: node.mark) }
        let quoted = needsQuotes(text, plain: style == .plain ? node : Node.scalar(text, mark: node.mark))
        if quoted == (style == .doubleQuoted) { return node }
        return .scalar(text, style: quoted ? .doubleQuoted : .plain, mark: node.mark)
    }

    /// Whether no null, bool or number starts with this byte: `/`, or a
    /// letter other than the first letters of null/true/false/yes/no/on/off.
    private static func startsOnlyStrings(_ first: UInt8) -> Bool {
        if first == UInt8(ascii: "/") { return true }
        switch first | 0x20 {
        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "y"), UInt8(ascii: "o"): return false
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return true
        default: return false
        }
    }

    /// Whether `value` must be quoted to read back as a string; `plain` is
    /// it as an untagged plain scalar (only built when the first byte does
    /// not settle it).
    private static func needsQuotes(_ value: String, plain: @autoclosure () -> Node) -> Bool {
        if let first = value.utf8.first, value.utf8.last != 0x20, startsOnlyStrings(first) { return false }
        return plain().scalarMeaning != .string || ScalarText.composeBool(value) != nil
            || value.hasPrefix(" ") || value.hasSuffix(" ")
    }

    static func integer(_ value: Int, mark: Mark) -> Node { .scalar(String(value), mark: mark) }
    static func bool(_ value: Bool, mark: Mark) -> Node { .scalar(value ? "true" : "false", mark: mark) }
}
