/// Writes a node tree as JSON: mappings as objects, sequences as arrays,
/// scalars per `Node.resolvedScalar` (plain `8080` is a number, `"8080"` a
/// string). `.inf`/`.nan` have no JSON form and are written as strings.
public enum JSONEmitter {
    /// The JSON text of `node`; `pretty` indents by two spaces with one
    /// member per line, like `docker compose config --format json`.
    public static func emit(_ node: Node, pretty: Bool = true) -> String {
        var out = ""
        write(node, pretty: pretty, level: 0, into: &out)
        return out
    }

    private static func write(_ node: Node, pretty: Bool, level: Int, into out: inout String) {
        switch node.kind {
        case .scalar:
            writeScalar(node, into: &out)
        case let .sequence(items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(pretty, level + 1, &out)
                write(item, pretty: pretty, level: level + 1, into: &out)
            }
            newline(pretty, level, &out)
            out += "]"
        case let .mapping(pairs):
            guard !pairs.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                newline(pretty, level + 1, &out)
                writeString(keyText(pair.key), into: &out)
                out += pretty ? ": " : ":"
                write(pair.value, pretty: pretty, level: level + 1, into: &out)
            }
            newline(pretty, level, &out)
            out += "}"
        }
    }

    /// Object keys are strings: a scalar key's text, or a collection key's
    /// compact JSON.
    private static func keyText(_ key: Node) -> String {
        if let text = key.scalarValue { return text }
        return emit(key, pretty: false)
    }

    private static func newline(_ pretty: Bool, _ level: Int, _ out: inout String) {
        guard pretty else { return }
        out += "\n"
        out += String(repeating: "  ", count: level)
    }

    private static func writeScalar(_ node: Node, into out: inout String) {
        switch node.resolvedScalar {
        case .null?: out += "null"
        case let .bool(b)?: out += b ? "true" : "false"
        case let .int(digits)?: out += digits
        case let .float(text)?: out += text
        case let .nonFinite(text)?: writeString(text, into: &out)
        case let .string(text)?: writeString(text, into: &out)
        case nil: writeString(node.scalarValue ?? "", into: &out)
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters
    /// escaped; U+2028/U+2029 escaped so the output is also valid
    /// JavaScript.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || c.value == 0x2028 || c.value == 0x2029 || c.value == 0x7F {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
