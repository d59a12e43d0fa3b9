/// Writes a node tree as JSON: mappings as objects, sequences as arrays,
/// scalars per `Node.resolvedScalar` (plain `8080` is a number, `"8080"` a
/// string). `.inf`/`.nan` have no JSON form and are written as strings.
public enum JSONEmitter {
    /// The JSON text of `node`; `pretty` indents by two spaces with one
    /// member per line, like `docker compose config --format json`.
    public static func emit(_ node: Node, pretty: Bool = true) -> String {
        var out = JSONBytes()
        write(node, pretty: pretty, level: 0, into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    private static func write(_ node: Node, pretty: Bool, level: Int, into out: inout JSONBytes) {
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

    private static func newline(_ pretty: Bool, _ level: Int, _ out: inout JSONBytes) {
        guard pretty else { return }
        out.bytes.append(0x0A)
        out.bytes.append(contentsOf: repeatElement(0x20, count: 2 * level))
    }

    private static func writeScalar(_ node: Node, into out: inout JSONBytes) {
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
    /// JavaScript. Works on UTF-8 bytes: everything else is copied.
    static func writeString(_ s: String, into out: inout JSONBytes) {
        out.bytes.append(UInt8(ascii: "\""))
        let utf8 = s.utf8
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            switch b {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x00..<0x20, 0x7F:
                out.escape(UInt32(b))
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
                let j = utf8.index(after: i)
                if j != utf8.endIndex, utf8[j] == 0x80 {
                    let k = utf8.index(after: j)
                    if k != utf8.endIndex, utf8[k] == 0xA8 || utf8[k] == 0xA9 {
                        out.escape(utf8[k] == 0xA8 ? 0x2028 : 0x2029)
                        i = utf8.index(after: k)
                        continue
                    }
                }
                out.bytes.append(b)
            default:
                out.bytes.append(b)
            }
            i = utf8.index(after: i)
        }
        out.bytes.append(UInt8(ascii: "\""))
    }
}

/// The output buffer: UTF-8 bytes, turned into a String once at the end.
struct JSONBytes {
    var bytes: [UInt8] = []

    static func += (out: inout JSONBytes, text: String) {
        out.bytes.append(contentsOf: text.utf8)
    }

    mutating func escape(_ value: UInt32) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"),
                                  hex[Int(value >> 12 & 0xF)], hex[Int(value >> 8 & 0xF)],
                                  hex[Int(value >> 4 & 0xF)], hex[Int(value & 0xF)]])
    }
}
