// IPAddress owns the address types every network module shares: IPv4 and
// IPv6 addresses and subnets, MAC addresses, host addresses with ports, each
// parsed from and printed as the text users write. Pure value types; it never
// does I/O and never imports Foundation (the DNS helper links it and starts
// in a millisecond or two without it).

#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address as a 32-bit number in host order.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`172.18.0.2`); nil when malformed.
    /// (Inlinable: specialized where it is called, so the runtime does not
    /// look up the generic text type's witnesses by scanning conformances.)
    @inlinable
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isNumber), let n = UInt8(p) else { return nil }
            v = v << 8 | UInt32(n)
        }
        value = v
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public var description: String { bytes.map { String($0) }.joinedBy(".") }

    /// The socket address of `port` at this address, for bind/connect/sendto.
    public func socketAddress(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = value.bigEndian
        return a
    }

    public var isLoopback: Bool { value >> 24 == 127 }
    public var isUnspecified: Bool { value == 0 }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "IPv4 address") { IPv4Address($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// An IPv4 network in CIDR form (`172.18.0.0/16`); the address is masked.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible, Codable {
    public var network: IPv4Address
    public var prefix: Int

    public init(_ address: IPv4Address, prefix: Int) {
        precondition((0...32).contains(prefix), "prefix out of range")
        self.prefix = prefix
        network = IPv4Address(address.value & IPv4Subnet.mask(prefix))
    }

    /// Parses `a.b.c.d/n`; nil when malformed. A bare address is a /32.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let a = IPv4Address(parts[0]) else { return nil }
        var p = 32
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...32).contains(n) else { return nil }
            p = n
        }
        self.init(a, prefix: p)
    }

    static func mask(_ prefix: Int) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
    }

    public var mask: UInt32 { IPv4Subnet.mask(prefix) }
    /// Number of addresses in the subnet.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var first: IPv4Address { network }
    public var last: IPv4Address { IPv4Address(network.value | ~mask) }
    public var broadcast: IPv4Address { last }

    public func contains(_ a: IPv4Address) -> Bool { a.value & mask == network.value }

    public func overlaps(_ other: IPv4Subnet) -> Bool {
        let p = min(prefix, other.prefix)
        let m = IPv4Subnet.mask(p)
        return network.value & m == other.network.value & m
    }

    /// Whether `other` lies completely inside this subnet.
    public func contains(_ other: IPv4Subnet) -> Bool {
        other.prefix >= prefix && contains(other.network)
    }

    public var description: String { "\(network)/\(prefix)" }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "subnet") { IPv4Subnet($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// An IPv6 address as 16 bytes.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible, Codable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "IPv6 address needs 16 bytes")
        self.bytes = bytes
    }

    /// Parses RFC 4291 text (`fd00:1::2`, `::1`); no embedded IPv4 form.
    public init?(_ text: some StringProtocol) {
        let halves = String(text).split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    public var groups: [UInt16] {
        stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
    }

    /// Canonical text (RFC 5952): lowercase, longest zero run compressed.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8 && g[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joinedBy(":") }
        if bestStart < 0 { return hex(g[...]) }
        return hex(g[..<bestStart]) + "::" + hex(g[(bestStart + bestLen)...])
    }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "IPv6 address") { IPv6Address($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// An IPv6 network in CIDR form; the address is masked.
public struct IPv6Subnet: Hashable, Sendable, CustomStringConvertible, Codable {
    public var network: IPv6Address
    public var prefix: Int

    public init(_ address: IPv6Address, prefix: Int) {
        precondition((0...128).contains(prefix), "prefix out of range")
        self.prefix = prefix
        var b = address.bytes
        for i in 0..<16 {
            let bits = max(0, min(8, prefix - i * 8))
            b[i] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
        network = IPv6Address(bytes: b)
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv6Address(parts[0]), let p = Int(parts[1]), (0...128).contains(p) else { return nil }
        self.init(a, prefix: p)
    }

    public func contains(_ a: IPv6Address) -> Bool { IPv6Subnet(a, prefix: prefix).network == network }

    public func overlaps(_ other: IPv6Subnet) -> Bool {
        let p = min(prefix, other.prefix)
        return IPv6Subnet(network, prefix: p).network == IPv6Subnet(other.network, prefix: p).network
    }

    /// The address `offset` (< 2^64) past the network address.
    public func address(at offset: UInt64) -> IPv6Address {
        var b = network.bytes
        var carry = offset
        for i in stride(from: 15, through: 0, by: -1) where carry > 0 {
            let sum = UInt64(b[i]) + (carry & 0xff)
            b[i] = UInt8(sum & 0xff)
            carry = (carry >> 8) + (sum >> 8)
        }
        return IPv6Address(bytes: b)
    }

    public var description: String { "\(network)/\(prefix)" }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "subnet") { IPv6Subnet($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible, Codable {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses `02:42:ac:11:00:02`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var b: [UInt8] = []
        for p in parts {
            guard p.count == 2, let v = UInt8(p, radix: 16) else { return nil }
            b.append(v)
        }
        bytes = b
    }

    /// Docker's scheme: locally administered `02:42` followed by the IPv4 address.
    public static func derived(from ip: IPv4Address) -> MACAddress {
        MACAddress(unchecked: [0x02, 0x42] + ip.bytes)
    }

    package init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joinedBy(":")
    }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "MAC address") { MACAddress($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// The host side of a published port: an IPv4 or an IPv6 address. The
/// unspecified address of a family (`0.0.0.0`, `::`) means every host
/// address of that family. Encoded as its text.
public enum HostAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public static let anyIPv4 = HostAddress.v4(IPv4Address(0))
    public static let anyIPv6 = HostAddress.v6(IPv6Address(bytes: [UInt8](repeating: 0, count: 16)))
    public static let loopbackIPv4 = HostAddress.v4(IPv4Address(127, 0, 0, 1))
    public static let loopbackIPv6 = HostAddress.v6(IPv6Address(bytes: [UInt8](repeating: 0, count: 15) + [1]))

    /// `1.2.3.4`, `::1` or `[::1]`.
    public init?(_ text: some StringProtocol) {
        var s = Substring(text)
        if s.hasPrefix("[") && s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if let a = IPv4Address(s) { self = .v4(a) } else if let a = IPv6Address(s) { self = .v6(a) } else { return nil }
    }

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a.isUnspecified
        case .v6(let a): a.bytes.allSatisfy { $0 == 0 }
        }
    }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a.isLoopback
        case .v6: self == .loopbackIPv6
        }
    }

    /// The text; an IPv6 address in brackets when a port follows (`[::1]:80`).
    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    /// `1.2.3.4:80` or `[::1]:80`.
    public func withPort(_ port: UInt16) -> String {
        switch self {
        case .v4(let a): "\(a):\(port)"
        case .v6(let a): "[\(a)]:\(port)"
        }
    }

    public init(from decoder: any Decoder) throws { self = try decodeText(decoder, "host address") { HostAddress($0) } }
    public func encode(to encoder: any Encoder) throws { try encodeText(description, to: encoder) }
}

/// Decodes a value stored as its text (the address types above); `kind`
/// names it in the error.
func decodeText<T>(_ decoder: any Decoder, _ kind: String, _ parse: (String) -> T?) throws -> T {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = parse(text) else {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid \(kind) \(text)"))
    }
    return value
}

/// Encodes a value as its text.
func encodeText(_ text: String, to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(text)
}

extension [String] {
    /// `joined(separator:)` for the text forms above and the /etc files of
    /// a container: the standard library's is not specialized for
    /// `[String]`, and its first use in a process makes the runtime scan
    /// every conformance record of the binary (≈ 0.1 ms of a `berth run`).
    public func joinedBy(_ separator: Character) -> String {
        var text = ""
        for (i, part) in enumerated() {
            if i > 0 { text.append(separator) }
            text += part
        }
        return text
    }
}
