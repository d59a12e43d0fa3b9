#if canImport(Glibc)
import Glibc
#endif

/// A wall-clock instant with nanoseconds, printed as RFC 3339 with
/// nanoseconds like Docker's timestamps (`2024-05-01T10:20:30.123456789Z`).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Docker's "never" (`0001-01-01T00:00:00Z`).
    public static let zero = Timestamp(seconds: -62_135_596_800)

    public var isZero: Bool { self == .zero }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// Seconds since the epoch as a Double (for durations).
    public var interval: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    public static func - (a: Timestamp, b: Timestamp) -> Double { a.interval - b.interval }

    public func adding(seconds delta: Double) -> Timestamp {
        let total = interval + delta
        let s = total.rounded(.down)
        return Timestamp(seconds: Int64(s), nanoseconds: Int32(((total - s) * 1e9).rounded(.down)))
    }

    /// RFC 3339 with nanoseconds; trailing zeros of the fraction trimmed
    /// as Go's RFC3339Nano does.
    public var description: String { format(trimmed: true) }

    /// RFC 3339 with exactly nine fraction digits (what `logs -t` prints).
    public var fixedNano: String { format(trimmed: false) }

    private func format(trimmed: Bool) -> String {
        let (y, mo, d, h, mi, s) = Timestamp.civil(seconds)
        var text = pad(y, 4) + "-" + pad(mo, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2)
        if nanoseconds != 0 || !trimmed {
            var frac = pad(Int64(nanoseconds), 9)
            if trimmed { while frac.hasSuffix("0") { frac.removeLast() } }
            text += "." + frac
        }
        return text + "Z"
    }

    private func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Days-from-civil in reverse (Howard Hinnant's algorithm): works for
    /// year 1 as well, which gmtime_r does too but not portably.
    static func civil(_ t: Int64) -> (Int64, Int64, Int64, Int64, Int64, Int64) {
        var days = t / 86400
        var rem = t % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Parses RFC 3339 (`2024-05-01T10:20:30.5Z`, `…+02:00`), or a date
    /// alone (`2024-05-01`), or Unix seconds with an optional fraction.
    public static func parse(_ text: String) -> Timestamp? {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let unix = Double(text) {
            return Timestamp(seconds: 0).adding(seconds: unix)
        }
        return parse(rfc3339: Array(text.utf8))
    }

    /// RFC 3339 or a date alone, from UTF-8 bytes (the json-file reader's fast path).
    public static func parse(rfc3339 b: [UInt8]) -> Timestamp? {
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[from..<from + len] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), b.count >= 10, b[4] == 0x2d, let mo = num(5, 2), b[7] == 0x2d, let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var secs = daysFromCivil(y, mo, d) * 86400
        if b.count == 10 { return Timestamp(seconds: secs) }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let h = num(11, 2), b.count > 13, b[13] == 0x3a,
              let mi = num(14, 2) else { return nil }
        var i = 16
        var s: Int64 = 0
        if i < b.count, b[i] == 0x3a { guard let sv = num(17, 2) else { return nil }; s = sv; i = 19 }
        secs += h * 3600 + mi * 60 + s
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30); digits += 1 }
                i += 1
            }
            while digits < 9 { nanos *= 10; digits += 1 }
        }
        if i == b.count { return Timestamp(seconds: secs, nanoseconds: Int32(nanos)) }  // local time taken as UTC
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            return i + 1 == b.count ? Timestamp(seconds: secs, nanoseconds: Int32(nanos)) : nil
        }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3a,
              let om = num(i + 4, 2), i + 6 == b.count else { return nil }
        let offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        return Timestamp(seconds: secs - offset, nanoseconds: Int32(nanos))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let t = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid timestamp \(text)"))
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
