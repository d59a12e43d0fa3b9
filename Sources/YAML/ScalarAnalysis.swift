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
        var copy = text
        self = copy.withUTF8 { ScalarAnalysis(utf8: $0, of: text) }
    }

    /// The analysis of `text`, whose UTF-8 is `bytes`.
    init(utf8 bytes: UnsafeBufferPointer<UInt8>, of text: String) {
        // ASCII text (nearly every compose value) is read byte by byte from
        // the string's storage, without decoding scalars.
        // Letters, digits and `_` then also `.`, `-`, `/`: no indicator,
        // space, break or special character, so every style is allowed
        // (the result the full analysis gives for such text).
        if let first = bytes.first, Self.isWordByte(first),
           bytes.allSatisfy({ Self.isWordByte($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2F }) {
            self.init()
        } else if bytes.allSatisfy({ $0 < 0x80 }) {
            self.init(analyzing: ASCIIScalars(bytes: bytes))
        } else {
            self.init(analyzing: text.unicodeScalars)
        }
    }

    /// Every style allowed, nothing multi-line.
    private init() {}

    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// The scalars of ASCII bytes.
    private struct ASCIIScalars: Sequence, IteratorProtocol {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func next() -> Unicode.Scalar? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return Unicode.Scalar(bytes[index])
        }
    }

    private init<Scalars: Sequence<Unicode.Scalar>>(analyzing scalars: Scalars) {
        var blockIndicators = false
        var specialCharacters = false
        var lineBreaks = false
        var leadingSpace = false, leadingBreak = false
        var trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        var previousSpace = false, previousBreak = false

        func isBreak(_ c: Unicode.Scalar) -> Bool {
            c == "\n" || c == "\r" || c.value == 0x85 || c.value == 0x2028 || c.value == 0x2029
        }
        func isBlankOrEnd(_ c: Unicode.Scalar?) -> Bool {
            guard let c else { return true }
            return c == " " || c == "\t" || c == "\0" || isBreak(c)
        }
        // One pass with one scalar of lookahead; no allocation.
        var iterator = scalars.makeIterator()
        var current = iterator.next()
        var index = 0
        var precededByWhitespace = true
        // Compare scalars, not Characters: "..." followed by a combining
        // mark is still a document marker to a YAML reader.
        var first: Unicode.Scalar = " "
        var sameAsFirst = 0
        while let c = current {
            let next = iterator.next()
            let isFirst = index == 0
            let isLast = next == nil
            if isFirst { first = c }
            if index < 3, c == first, c == "-" || c == "." {
                sameAsFirst += 1
                if sameAsFirst == 3 { blockIndicators = true }
            }
            let followedByWhitespace = isBlankOrEnd(next)
            if isFirst {
                switch c {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
                    blockIndicators = true
                case "?", ":", "-":
                    if followedByWhitespace { blockIndicators = true }
                default:
                    break
                }
            } else {
                if c == ":" && followedByWhitespace { blockIndicators = true }
                if c == "#" && precededByWhitespace { blockIndicators = true }
            }
            if !Self.isPrintable(c) { specialCharacters = true }
            let cIsBreak = isBreak(c)
            if cIsBreak {
                lineBreaks = true
                if c != "\n" { unusualBreaks = true }
            }
            if c == " " {
                if isFirst { leadingSpace = true }
                if isLast { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if cIsBreak {
                if isFirst { leadingBreak = true }
                if isLast { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = c == " " || c == "\t" || c == "\0" || cIsBreak
            current = next
            index += 1
        }
        if index == 0 {
            // The empty text: only a block scalar is ruled out.
            blockAllowed = false
            return
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
        emittedStyle(for: text, requested: requested, isKey: isKey, analysis: ScalarAnalysis(text))
    }

    /// `emittedStyle` with the analysis of `text` already made.
    static func emittedStyle(for text: String, requested: ScalarStyle, isKey: Bool,
                             analysis a: ScalarAnalysis) -> ScalarStyle {
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
