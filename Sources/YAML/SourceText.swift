import Diagnostics

/// Position arithmetic over the raw input bytes, used to turn byte offsets
/// and libyaml marks into 1-based line:column pairs and to look at the
/// character an error points at. Line breaks are counted as libyaml counts
/// them: LF, CR LF, CR, NEL, LS and PS. Columns count Unicode scalars.
struct SourceText {
    let bytes: [UInt8]
    let file: String

    /// The 1-based position of a byte offset.
    func mark(atByte offset: Int) -> Mark {
        var line = 1
        var column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let b = bytes[i]
            if let width = lineBreakWidth(at: i) {
                line += 1
                column = 1
                i += width
                continue
            }
            // Count one column per scalar: skip continuation bytes.
            if b & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        // A partial scalar before `offset` was counted once: fine.
        return Mark(file: file, line: line, column: column)
    }

    /// The byte offset where a 1-based line starts, or nil past the end.
    func byteOffset(ofLine line: Int) -> Int? {
        if line == 1 { return 0 }
        var current = 1
        var i = 0
        while i < bytes.count {
            if let width = lineBreakWidth(at: i) {
                i += width
                current += 1
                if current == line { return i }
                continue
            }
            i += 1
        }
        return nil
    }

    /// The bytes of one 1-based line without its line break.
    func lineBytes(_ line: Int) -> ArraySlice<UInt8> {
        guard let start = byteOffset(ofLine: line) else { return [] }
        var end = start
        while end < bytes.count, lineBreakWidth(at: end) == nil { end += 1 }
        return bytes[start..<end]
    }

    /// The Unicode scalar at a 1-based line and column, if any.
    func scalar(atLine line: Int, column: Int) -> Unicode.Scalar? {
        let text = String(decoding: lineBytes(line), as: UTF8.self)
        var index = 1
        for scalar in text.unicodeScalars {
            if index == column { return scalar }
            index += 1
        }
        return nil
    }

    /// The width of a line break starting at `i`, or nil.
    private func lineBreakWidth(at i: Int) -> Int? {
        let b = bytes[i]
        if b == 0x0A { return 1 }
        if b == 0x0D { return i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1 }
        if b == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0x85 { return 2 }
        if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80,
           bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 { return 3 }
        return nil
    }

    /// The byte offset and a description of the first invalid UTF-8
    /// sequence, or nil when the input is valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (offset: Int, problem: String)? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            let minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: need = 1; minimum = 0x80; scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF: need = 2; minimum = 0x800; scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4: need = 3; minimum = 0x10000; scalar = UInt32(b & 0x07)
            case 0x80...0xBF:
                return (i, "invalid UTF-8: unexpected continuation byte 0x\(hex(b))")
            default:
                return (i, "invalid UTF-8: byte 0x\(hex(b)) cannot start a character")
            }
            if i + need >= n {
                return (i, "invalid UTF-8: truncated sequence starting with byte 0x\(hex(b))")
            }
            for k in 1...need {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else {
                    return (i, "invalid UTF-8: byte 0x\(hex(b)) is not followed by a continuation byte")
                }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum {
                return (i, "invalid UTF-8: overlong encoding starting with byte 0x\(hex(b))")
            }
            if (0xD800...0xDFFF).contains(scalar) {
                return (i, "invalid UTF-8: encoded surrogate U+\(String(scalar, radix: 16, uppercase: true))")
            }
            if scalar > 0x10FFFF {
                return (i, "invalid UTF-8: code point beyond U+10FFFF")
            }
            i += need + 1
        }
        return nil
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}
