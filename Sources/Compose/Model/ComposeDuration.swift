/// A Compose duration (`1m30s`, `10ms`, `1h5m30s20ms`), kept in
/// nanoseconds. Parsing follows Go's `time.ParseDuration`, which docker
/// compose uses; `description` prints Go's canonical form (`1m30s`,
/// `1h0m0s`, `1.5s`, `500ms`) as `docker compose config` does.
public struct ComposeDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func seconds(_ s: Int64) -> ComposeDuration { ComposeDuration(nanoseconds: s * 1_000_000_000) }

    public static func < (a: ComposeDuration, b: ComposeDuration) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Parses `[-+]?({number}{unit})+` with units ns, us, µs, ms, s, m, h,
    /// or the bare `0`. Returns nil on anything else (including a missing unit).
    public init?(parsing text: String) {
        self.init(parsing: text, units: ComposeDuration.goUnits)
    }

    static let goUnits: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6),
        ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// `every_<duration>` in `pull_policy` also allows days and weeks.
    static let pullUnits: [(String, Double)] = goUnits + [("d", 86400e9), ("w", 7 * 86400e9)]

    init?(parsing text: String, units: [(String, Double)]) {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let first = bytes.first, first == 0x2d || first == 0x2b {
            negative = first == 0x2d
            bytes = bytes.dropFirst()
        }
        if bytes.elementsEqual("0".utf8) { self.nanoseconds = 0; return }
        guard !bytes.isEmpty else { return nil }
        func isNumeric(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || c == 0x2e }
        var total = 0.0
        while !bytes.isEmpty {
            let number = bytes.prefix(while: isNumeric)
            bytes = bytes.dropFirst(number.count)
            let unit = bytes.prefix(while: { !isNumeric($0) })
            bytes = bytes.dropFirst(unit.count)
            guard !number.isEmpty, number.count(where: { $0 == 0x2e }) <= 1,
                  let value = Double(String(decoding: number, as: UTF8.self)) else { return nil }
            guard let factor = units.first(where: { $0.0.utf8.elementsEqual(unit) })?.1 else { return nil }
            total += value * factor
        }
        guard total < 9.2e18 else { return nil }
        self.nanoseconds = Int64(total.rounded()) * (negative ? -1 : 1)
    }

    public var description: String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        let u = nanoseconds.magnitude
        var out: String
        if u < 1_000_000_000 {
            if u < 1_000 {
                out = "\(u)ns"
            } else if u < 1_000_000 {
                out = Self.fraction(u, digits: 3) + "µs"
            } else {
                out = Self.fraction(u, digits: 6) + "ms"
            }
        } else {
            let secondsPart = u % 60_000_000_000
            out = Self.fraction(secondsPart, digits: 9) + "s"
            let minutes = u / 60_000_000_000
            if minutes > 0 {
                out = "\(minutes % 60)m" + out
                let hours = minutes / 60
                if hours > 0 { out = "\(hours)h" + out }
            }
        }
        return negative ? "-" + out : out
    }

    /// `value / 10^digits` printed with trailing zeros removed.
    private static func fraction(_ value: UInt64, digits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let whole = value / scale
        var frac = value % scale
        guard frac != 0 else { return "\(whole)" }
        var text = String(frac)
        text = String(repeating: "0", count: digits - text.count) + text
        while text.hasSuffix("0") { text.removeLast(); frac /= 10 }
        return "\(whole).\(text)"
    }
}
