/// What a scalar's text allows when written back, mirroring libyaml's
/// emitter analysis (emitter.c, yaml_emitter_analyze_scalar) so that the
/// emitter can choose a style libyaml will not silently change, and so that
/// a plain scalar is only written plain when it reads back as the same text.
struct ScalarAnalysis {
    var multiline = false
    var blockPlainAllowed = true
    var singleQuotedAllowed = true
    var blockAllowed = true
    /// Line breaks other than LF (CR, NEL, LS, PS), which block and quoted
    /// styles would normalize when read back.
    var unusualBreaks = false

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        if scalars.isEmpty {
            blockAllowed = false
            return
        }
        var blockIndicators = false
        var specialCharacters = false
        var lineBreaks = false
        var leadingSpace = false, leadingBreak = false
        var trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        var previousSpace = false, previousBreak = false

        // Compare scalars, not Characters: "..." followed by a combining
        // mark is still a document end marker to a YAML reader.
        if scalars.count >= 3, scalars[0] == scalars[1], scalars[1] == scalars[2],
           scalars[0] == "-" || scalars[0] == "." { blockIndicators = true }
        func isBreak(_ c: Unicode.Scalar) -> Bool {
            c == "\n" || c == "\r" || c.value == 0x85 || c.value == 0x2028 || c.value == 0x2029
        }
        func isBlankOrEnd(_ i: Int) -> Bool {
            guard i < scalars.count else { return true }
            let c = scalars[i]
            return c == " " || c == "\t" || c == "\0" || isBreak(c)
        }
        var precededByWhitespace = true
        for (i, c) in scalars.enumerated() {
            let followedByWhitespace = isBlankOrEnd(i + 1)
            if i == 0 {
                switch c {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
                    blockIndicators = true
                case "?", ":":
                    if followedByWhitespace { blockIndicators = true }
                case "-":
                    if followedByWhitespace { blockIndicators = true }
                default:
                    break
                }
            } else {
                if c == ":" && followedByWhitespace { blockIndicators = true }
                if c == "#" && precededByWhitespace { blockIndicators = true }
            }
            if !Self.isPrintable(c) { specialCharacters = true }
            if isBreak(c) {
                lineBreaks = true
                if c != "\n" { unusualBreaks = true }
            }
            if c == " " {
                if i == 0 { leadingSpace = true }
                if i == scalars.count - 1 { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if isBreak(c) {
                if i == 0 { leadingBreak = true }
                if i == scalars.count - 1 { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = c == " " || c == "\t" || c == "\0" || isBreak(c)
        }
        multiline = lineBreaks
        if leadingSpace || leadingBreak || trailingSpace || trailingBreak { blockPlainAllowed = false }
        if trailingSpace { blockAllowed = false }
        if breakSpace {
            blockPlainAllowed = false
            singleQuotedAllowed = false
        }
        if spaceBreak || specialCharacters {
            blockPlainAllowed = false
            singleQuotedAllowed = false
            blockAllowed = false
        }
        if lineBreaks { blockPlainAllowed = false }
        if blockIndicators { blockPlainAllowed = false }
    }

    /// libyaml's IS_PRINTABLE: LF, printable ASCII, U+00A0–U+D7FF and
    /// U+E000–U+FFFD except the BOM. (libyaml escapes astral characters.)
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return v == 0x0A || (0x20...0x7E).contains(v) || (0xA0...0xD7FF).contains(v)
            || ((0xE000...0xFFFD).contains(v) && v != 0xFEFF)
    }

    /// The style the emitter writes for `text` when `requested` was asked
    /// for: the requested one when it reads back as the same text, else a
    /// literal block (multi-line plain text) or double quotes.
    static func emittedStyle(for text: String, requested: ScalarStyle, isKey: Bool) -> ScalarStyle {
        let a = ScalarAnalysis(text)
        let literalOK = !isKey && a.blockAllowed && !a.unusualBreaks
        switch requested {
        case .plain:
            if a.blockPlainAllowed && !(isKey && text.isEmpty) { return .plain }
            if literalOK && a.multiline { return .literal }
            return .doubleQuoted
        case .singleQuoted:
            return a.singleQuotedAllowed && !a.multiline ? .singleQuoted : .doubleQuoted
        case .doubleQuoted:
            return .doubleQuoted
        case .literal, .folded:
            return literalOK ? requested : .doubleQuoted
        }
    }
}
