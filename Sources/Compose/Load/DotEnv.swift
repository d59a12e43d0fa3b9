import Diagnostics

/// Parser for `.env`, `--env-file` and service `env_file` files, following
/// Compose's dotenv rules (compose-spec 05-services.md "Env_file format"):
/// `#` comment lines, optional `export ` prefix, `KEY=VAL`, `KEY: VAL`,
/// single quotes literal (with `\'`), double quotes with `\n \r \t \\ \" \$`
/// escapes and interpolation, unquoted values with inline ` #` comments and
/// interpolation, quoted values spanning lines, and a bare `KEY` that takes
/// its value from the lookup (or is left out when unset).
public enum DotEnv {
    /// One variable with the line it was defined on.
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: String
        public var line: Int
    }

    /// Parses `text`. Variables in values are resolved with `lookup` first
    /// (the process environment wins, as in Compose), then earlier entries
    /// of the same file, then `fallback` (e.g. files read before this one).
    /// With `interpolate: false`,
    /// values are unquoted but `$` is kept as written.
    /// Errors are diagnostics at `file:line:column`.
    public static func parse(_ text: String, file: String, interpolate: Bool = true,
                             lookup: (String) -> String? = { _ in nil },
                             fallback: (String) -> String? = { _ in nil }) throws(DiagnosticsError) -> [Entry] {
        var parser = Parser(scalars: Array(text.unicodeScalars), file: file)
        return try parser.run(interpolate: interpolate, lookup: lookup, fallback: fallback)
    }

    /// `format: raw` env files: `KEY=VALUE` taken literally, comments and blank lines skipped.
    public static func parseRaw(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let eq = trimmed.firstIndex(of: "=") {
                entries.append(Entry(key: String(trimmed[..<eq]), value: String(trimmed[trimmed.index(after: eq)...]),
                                     line: n + 1))
            }
        }
        return entries
    }

    /// Entries folded into a dictionary, later ones winning.
    public static func dictionary(_ entries: [Entry]) -> [String: String] {
        var result: [String: String] = [:]
        for e in entries { result[e.key] = e.value }
        return result
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let file: String
        var i = 0
        var line = 1
        var column = 1

        init(scalars: [Unicode.Scalar], file: String) {
            self.scalars = scalars
            self.file = file
        }

        func error(_ message: String, line: Int? = nil, column: Int? = nil) -> DiagnosticsError {
            DiagnosticsError(Diagnostic(at: Mark(file: file, line: line ?? self.line, column: column ?? self.column),
                                        message))
        }

        var atEnd: Bool { i >= scalars.count }
        var current: Unicode.Scalar { scalars[i] }

        mutating func advance() {
            if scalars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }

        mutating func skipBlanks() {
            while !atEnd, current == " " || current == "\t" || current == "\r" { advance() }
        }

        mutating func skipLine() {
            while !atEnd, current != "\n" { advance() }
            if !atEnd { advance() }
        }

        static func isKeyChar(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c == "." || c == "-" || c == "[" || c == "]" ||
                c.properties.isAlphabetic || c.properties.numericType != nil
        }

        mutating func run(interpolate: Bool, lookup: (String) -> String?,
                          fallback: (String) -> String?) throws(DiagnosticsError) -> [Entry] {
            var entries: [Entry] = []
            var defined: [String: String] = [:]
            let resolve: (String) -> String? = { name in lookup(name) ?? defined[name] ?? fallback(name) }
            while !atEnd {
                skipBlanks()
                if atEnd { break }
                if current == "\n" || current == "#" { skipLine(); continue }
                let entryLine = line
                let keyColumn = column
                // `export KEY=…`
                if hasPrefix("export ") || hasPrefix("export\t") {
                    for _ in 0..<6 { advance() }
                    skipBlanks()
                }
                var key = String.UnicodeScalarView()
                while !atEnd, DotEnv.Parser.isKeyChar(current) {
                    key.append(current)
                    advance()
                }
                skipBlanks()
                let keyText = String(key)
                if atEnd || current == "\n" || current == "#" {
                    // A bare `KEY`: inherited from the lookup, or unset.
                    if keyText.isEmpty { throw error("missing variable name", line: entryLine, column: keyColumn) }
                    if let v = lookup(keyText) ?? fallback(keyText) {
                        entries.append(Entry(key: keyText, value: v, line: entryLine))
                        defined[keyText] = v
                    }
                    skipLine()
                    continue
                }
                guard current == "=" || current == ":" else {
                    throw error(keyText.isEmpty ? "unexpected character \"\(current)\" at the start of a variable name"
                                : "unexpected character \"\(current)\" after variable name \"\(keyText)\"")
                }
                if keyText.isEmpty { throw error("missing variable name", line: entryLine, column: keyColumn) }
                advance()
                skipBlanks()
                let valueLine = line, valueColumn = column
                let value: String
                var interpolateValue = interpolate
                if !atEnd, current == "'" || current == "\"" {
                    let quote = current
                    let raw = try quoted(quote, keepDollarEscaped: interpolate)
                    if quote == "'" {
                        value = raw
                        interpolateValue = false
                    } else {
                        value = raw
                    }
                    // After the closing quote: blanks, then end of line or a comment.
                    skipBlanks()
                    if !atEnd, current != "\n", current != "#" {
                        throw error("unexpected text after the closing quote of \(keyText)")
                    }
                    skipLine()
                } else {
                    var text = String.UnicodeScalarView()
                    while !atEnd, current != "\n" {
                        // Inline comments need a blank before `#`.
                        if current == "#", let last = text.last, last == " " || last == "\t" { break }
                        text.append(current)
                        advance()
                    }
                    skipLine()
                    value = String(String(text).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
                }
                var final = value
                if interpolateValue {
                    do {
                        final = try Interpolation.substitute(value, lookup: resolve).text
                    } catch {
                        throw DiagnosticsError(Diagnostic(at: Mark(file: file, line: valueLine, column: valueColumn),
                                                          keyPath: keyText, error.message, hint: error.hint))
                    }
                }
                entries.append(Entry(key: keyText, value: final, line: entryLine))
                defined[keyText] = final
            }
            return entries
        }

        func hasPrefix(_ text: String) -> Bool {
            var j = i
            for c in text.unicodeScalars {
                guard j < scalars.count, scalars[j] == c else { return false }
                j += 1
            }
            return true
        }

        /// Reads a quoted value starting at the opening quote; handles
        /// escapes (`\'` in single quotes; the shell set in double quotes).
        mutating func quoted(_ quote: Unicode.Scalar, keepDollarEscaped: Bool) throws(DiagnosticsError) -> String {
            let startLine = line, startColumn = column
            advance()
            var out = String.UnicodeScalarView()
            while !atEnd {
                let c = current
                if c == quote { advance(); return String(out) }
                if c == "\\", i + 1 < scalars.count {
                    let n = scalars[i + 1]
                    if quote == "'" {
                        if n == "'" { out.append("'"); advance(); advance(); continue }
                        out.append(c); advance(); continue
                    }
                    switch n {
                    case "n": out.append("\n")
                    case "r": out.append("\r")
                    case "t": out.append("\t")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    // `\$` becomes `$$` so interpolation yields one literal `$`.
                    case "$": out.append("$"); if keepDollarEscaped { out.append("$") }
                    default: out.append(c); out.append(n)
                    }
                    advance(); advance()
                    continue
                }
                out.append(c)
                advance()
            }
            throw error("unterminated quoted value", line: startLine, column: startColumn)
        }
    }
}
