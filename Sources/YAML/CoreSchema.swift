/// What an untagged plain scalar means under the YAML 1.2 core schema.
public enum ResolvedScalar: Hashable, Sendable {
    case null
    case bool(Bool)
    /// An integer as canonical decimal text (`-12`, `255` for `0xff`).
    case int(String)
    /// A finite float as JSON-compatible text (`0.5` for `.5`, `1.0` for `1.`).
    case float(String)
    /// `.inf`, `-.inf` or `.nan` as written.
    case nonFinite(String)
    case string(String)
}

extension Node {
    /// The scalar's meaning: plain untagged scalars per the YAML 1.2 core
    /// schema; quoted and block scalars and `!!str` as strings; `!!null`,
    /// `!!bool`, `!!int` and `!!float` per their type when the text fits.
    /// Nil for collections.
    public var resolvedScalar: ResolvedScalar? {
        guard case let .scalar(text, style) = kind else { return nil }
        switch tag {
        case nil:
            return style == .plain ? CoreSchema.resolve(text) : .string(text)
        case "tag:yaml.org,2002:str":
            return .string(text)
        case "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
             "tag:yaml.org,2002:int", "tag:yaml.org,2002:float":
            let resolved = CoreSchema.resolve(text)
            switch (tag, resolved) {
            case ("tag:yaml.org,2002:null", .null), ("tag:yaml.org,2002:bool", .bool),
                 ("tag:yaml.org,2002:int", .int), ("tag:yaml.org,2002:float", .float),
                 ("tag:yaml.org,2002:float", .nonFinite):
                return resolved
            case let ("tag:yaml.org,2002:float", .int(digits)):
                return .float(digits + ".0")
            default:
                return .string(text)
            }
        default:
            return style == .plain ? CoreSchema.resolve(text) : .string(text)
        }
    }

    /// The value of a scalar that resolves to an integer fitting `Int`.
    public var intValue: Int? {
        if case let .int(digits)? = resolvedScalar { return Int(digits) }
        return nil
    }

    /// The value of a scalar that resolves to a core-schema boolean.
    public var boolValue: Bool? {
        if case let .bool(b)? = resolvedScalar { return b }
        return nil
    }

    /// A boolean read the YAML 1.1 way, for the Compose fields that accept
    /// `yes`/`no`/`on`/`off`/`y`/`n` (as docker compose does for typed
    /// booleans): plain untagged scalars only; also the core-schema forms
    /// and `!!bool`. Nil otherwise (quoted text is never a boolean).
    public var yaml11BoolValue: Bool? {
        if let b = boolValue { return b }
        guard case let .scalar(text, .plain) = kind, tag == nil else { return nil }
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "n", "N", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    /// True when a plain scalar with this text would load back as a string
    /// under the YAML 1.2 core schema *and* under YAML 1.1 (so `yes`, `no`,
    /// `on`, `off`, `y`, `n`, `22:22` and `1_000` are not safe), and when it
    /// can be written plain at all. Writers quote strings for which this is
    /// false.
    public static func isPlainSafeString(_ s: String) -> Bool {
        guard ScalarAnalysis(s).blockPlainAllowed, !s.isEmpty else { return false }
        guard case .string = CoreSchema.resolve(s) else { return false }
        return !CoreSchema.isYAML11NonString(s) && s != "<<" && s != "="
    }
}

/// The YAML 1.2 core schema's resolution of plain scalars, plus the YAML 1.1
/// forms compose users trip over.
enum CoreSchema {
    static func resolve(_ s: String) -> ResolvedScalar {
        // Fast path: every non-string form starts with one of these bytes.
        guard let lead = s.utf8.first else { return .null }
        switch lead {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
             UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            break
        default:
            return .string(s)
        }
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
             ".nan", ".NaN", ".NAN":
            return .nonFinite(s)
        default: break
        }
        let u = Array(s.utf8)
        guard let first = u.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || isDigit(first) else { return .string(s) }
        if let i = integer(u) { return .int(i) }
        if let f = float(u) { return .float(f) }
        return .string(s)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+` as canonical decimal.
    private static func integer(_ u: [UInt8]) -> String? {
        if u.count > 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "o") {
            let radix = u[1] == UInt8(ascii: "x") ? 16 : 8
            let digits = String(decoding: u[2...], as: UTF8.self)
            guard let v = UInt64(digits, radix: radix) else { return nil }
            return String(v)
        }
        var i = 0
        var negative = false
        if u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") {
            negative = u[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < u.count, u[i...].allSatisfy(isDigit) else { return nil }
        var digits = u[i...].drop { $0 == UInt8(ascii: "0") }
        if digits.isEmpty { digits = [UInt8(ascii: "0")] }
        let text = String(decoding: digits, as: UTF8.self)
        return negative && text != "0" ? "-" + text : text
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` as JSON text.
    private static func float(_ u: [UInt8]) -> String? {
        var i = 0
        var sign = ""
        if u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") {
            if u[0] == UInt8(ascii: "-") { sign = "-" }
            i = 1
        }
        var intPart: [UInt8] = []
        while i < u.count, isDigit(u[i]) { intPart.append(u[i]); i += 1 }
        var fraction: [UInt8] = []
        var hasDot = false
        if i < u.count, u[i] == UInt8(ascii: ".") {
            hasDot = true
            i += 1
            while i < u.count, isDigit(u[i]) { fraction.append(u[i]); i += 1 }
        }
        if intPart.isEmpty && fraction.isEmpty { return nil }
        if intPart.isEmpty && !hasDot { return nil }
        var exponent = ""
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            var e = ""
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") {
                e.append(Character(Unicode.Scalar(u[i])))
                i += 1
            }
            let start = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            guard i > start else { return nil }
            exponent = "e" + e + String(decoding: u[start..<i], as: UTF8.self)
        }
        guard i == u.count else { return nil }
        var whole = String(decoding: intPart.drop { $0 == UInt8(ascii: "0") }, as: UTF8.self)
        if whole.isEmpty { whole = "0" }
        let frac = fraction.isEmpty ? "0" : String(decoding: fraction, as: UTF8.self)
        return sign + whole + "." + frac + exponent
    }

    /// YAML 1.1 booleans, `_`-separated and base-60 numbers, binary ints and
    /// 1.1 floats: plain text that a YAML 1.1 reader would not take as a
    /// string.
    static func isYAML11NonString(_ s: String) -> Bool {
        switch s {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
             "on", "On", "ON", "off", "Off", "OFF":
            return true
        default: break
        }
        let u = Array(s.utf8)
        guard let first = u.first else { return true }
        var i = 0
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { i = 1 }
        guard i < u.count else { return false }
        let body = u[i...]
        let digitsUnderscoreColonDot = body.allSatisfy {
            isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".")
        }
        if body.first == UInt8(ascii: "0"), body.count > 2,
           body[body.startIndex + 1] == UInt8(ascii: "b"),
           body.dropFirst(2).allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") || $0 == UInt8(ascii: "_") }) {
            return true
        }
        if body.first == UInt8(ascii: "0"), body.count > 2,
           body[body.startIndex + 1] == UInt8(ascii: "x"),
           body.dropFirst(2).allSatisfy({ isHex($0) || $0 == UInt8(ascii: "_") }) {
            return true
        }
        guard digitsUnderscoreColonDot, body.contains(where: isDigit) else {
            // 1.1 floats with exponents need a dot: `1.5e+3`.
            return isYAML11Float(body)
        }
        if body.contains(UInt8(ascii: ":")) {
            // Base 60: `[0-9][0-9_]*(:[0-5]?[0-9])+` (with an optional fraction).
            let parts = String(decoding: body, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
            guard let head = parts.first, !head.isEmpty, head.first != "_" else { return false }
            for (n, part) in parts.dropFirst().enumerated() {
                var p = Substring(part)
                if n == parts.count - 2, let dot = p.firstIndex(of: ".") {
                    guard p[p.index(after: dot)...].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) else { return false }
                    p = p[..<dot]
                }
                guard (1...2).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                      let v = Int(p), v < 60 else { return false }
            }
            return !head.contains(".")
        }
        // Digits, underscores and at most one dot: a 1.1 int or float.
        return body.filter { $0 == UInt8(ascii: ".") }.count <= 1
    }

    private static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }

    private static func isYAML11Float(_ body: ArraySlice<UInt8>) -> Bool {
        // [0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?
        let text = String(decoding: body, as: UTF8.self)
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return false }
        let mantissa = text[..<e]
        let exp = text[text.index(after: e)...]
        guard mantissa.contains("."), mantissa.filter({ $0 == "." }).count == 1,
              mantissa.allSatisfy({ $0 == "." || $0 == "_" || ($0.isASCII && $0.isNumber) }),
              mantissa.contains(where: { $0.isASCII && $0.isNumber }),
              let sign = exp.first, sign == "+" || sign == "-",
              exp.count > 1, exp.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return true
    }
}
