#if canImport(Glibc)
import Glibc
#endif

/// A problem with the text of a short-syntax value; the caller adds the
/// position and key path.
struct SyntaxError: Error, Hashable, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

extension StringProtocol {
    /// Splits on an ASCII byte, keeping empty pieces (fast: no grapheme work).
    func splitBytes(_ separator: UInt8) -> [Substring] {
        let base = Substring(self)
        return base.utf8.split(separator: separator, omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// Whether the UTF-8 text holds `byte`: one `memchr` over the bytes
    /// in place (the loader asks it of every scalar).
    func containsByte(_ byte: UInt8) -> Bool {
        utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, Int32(byte), bytes.count) != nil
        } ?? utf8.contains(byte)
    }

    /// The unsigned decimal value of an all-digit string of at most `maxDigits`.
    func decimal(maxDigits: Int) -> Int? {
        var value = 0, count = 0
        for c in utf8 {
            guard c >= 0x30, c <= 0x39, count < maxDigits else { return nil }
            value = value * 10 + Int(c - 0x30)
            count += 1
        }
        return count > 0 ? value : nil
    }
}

/// One published or exposed port after parsing the short syntax.
struct PortSpec: Hashable, Sendable {
    var hostIP: String?
    /// Host port or range as written (`8080`, `8000-8005`), nil when the
    /// engine picks one.
    var published: String?
    var target: Int
    var proto: String
}

/// `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`, with
/// IPv6 host addresses in brackets (`[::1]:8080:80`). Ranges expand to one
/// entry per port, as the spec says; a host range with a single container
/// port stays one entry (the engine picks a host port in the range).
enum PortSyntax {
    static let protocols: Set<String> = ["tcp", "udp", "sctp"]

    /// A parsed short-syntax port before range expansion.
    struct Ranges {
        var hostIP: String?
        var host: (Int, Int)?
        var container: (Int, Int)
        var proto: String
    }

    /// Parses and expands (one entry per port of a range).
    static func parse(_ text: String) -> Result<[PortSpec], SyntaxError> {
        switch ranges(text) {
        case let .failure(e): return .failure(e)
        case let .success(r):
            let (hostIP, container, proto) = (r.hostIP, r.container, r.proto)
            guard let host = r.host else {
                return .success((container.0...container.1).map {
                    PortSpec(hostIP: hostIP, published: nil, target: $0, proto: proto)
                })
            }
            let count = container.1 - container.0
            if count == 0 {
                let published = host.0 == host.1 ? "\(host.0)" : "\(host.0)-\(host.1)"
                return .success([PortSpec(hostIP: hostIP, published: published, target: container.0, proto: proto)])
            }
            return .success((0...count).map {
                PortSpec(hostIP: hostIP, published: "\(host.0 + $0)", target: container.0 + $0, proto: proto)
            })
        }
    }

    /// Checks the syntax without expanding ranges.
    static func check(_ text: String) -> SyntaxError? {
        if case let .failure(e) = ranges(text) { return e }
        return nil
    }

    static func ranges(_ text: String) -> Result<Ranges, SyntaxError> {
        let bad = { (why: String) in Result<Ranges, SyntaxError>.failure(SyntaxError("invalid port \"\(text)\": \(why)")) }
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = String(spec[spec.index(after: slash)...])
            spec = spec[..<slash]
            guard protocols.contains(proto) else { return bad("unknown protocol \"\(proto)\" (use tcp, udp or sctp)") }
        }
        var hostIP: String? = nil
        var hostPart: Substring? = nil
        var containerPart: Substring
        if spec.hasPrefix("[") {
            guard let close = spec.firstIndex(of: "]") else { return bad("missing \"]\" after the IPv6 address") }
            hostIP = String(spec[spec.index(after: spec.startIndex)..<close])
            let rest = spec[spec.index(after: close)...]
            guard rest.hasPrefix(":") else { return bad("expected \":\" after \"]\"") }
            let parts = rest.dropFirst().splitBytes(0x3a)
            guard parts.count == 2 else { return bad("expected [IP]:HOST:CONTAINER") }
            hostPart = parts[0]
            containerPart = parts[1]
        } else {
            let parts = spec.splitBytes(0x3a)
            switch parts.count {
            case 1: containerPart = parts[0]
            case 2: hostPart = parts[0]; containerPart = parts[1]
            default:
                // The text before the host port's `:` (the parts share
                // `spec`'s indices): what joining the leading parts with
                // `:` gives, without `joined`'s generic code.
                let colon = spec.utf8.index(before: parts[parts.count - 2].startIndex)
                hostIP = String(Substring(spec.utf8[..<colon]))
                hostPart = parts[parts.count - 2]
                containerPart = parts[parts.count - 1]
            }
        }
        if let ip = hostIP {
            guard !ip.isEmpty else { return bad("empty host IP") }
            guard IPAddressText.isValid(ip) else { return bad("\"\(ip)\" is not an IP address") }
        }
        guard !containerPart.isEmpty else { return bad("missing container port") }
        guard let container = range(containerPart) else {
            return bad("\"\(containerPart)\" is not a port or port range")
        }
        var host: (Int, Int)? = nil
        if let h = hostPart, !h.isEmpty {
            guard let r = range(h) else { return bad("\"\(h)\" is not a port or port range") }
            host = r
        }
        if let host, container.1 != container.0, host.1 - host.0 != container.1 - container.0 {
            return bad("host range \(host.0)-\(host.1) and container range \(container.0)-\(container.1) differ in size")
        }
        return .success(Ranges(hostIP: hostIP, host: host, container: container, proto: proto))
    }

    /// `80` or `8000-8005`, each port in 1...65535, start ≤ end.
    static func range(_ s: Substring) -> (Int, Int)? {
        // Split at the first `-` by hand (no arrays): a second `-` is not a
        // digit, so `port` rejects the end.
        guard let dash = s.utf8.firstIndex(of: 0x2d) else { return port(s).map { ($0, $0) } }
        guard let lo = port(Substring(s.utf8[..<dash])), let hi = port(Substring(s.utf8[s.utf8.index(after: dash)...])),
              lo <= hi else { return nil }
        return (lo, hi)
    }

    /// A port number: 1 to 5 digits, 1...65535.
    private static func port(_ s: Substring) -> Int? {
        guard let n = s.decimal(maxDigits: 5), (1...65535).contains(n) else { return nil }
        return n
    }

    /// A published port value (`8080`, `8000-8005`) of the long syntax.
    static func isPublished(_ s: String) -> Bool { s.isEmpty || range(Substring(s)) != nil }
}

/// `expose` entries: `PORT[-END][/PROTOCOL]`.
enum ExposeSyntax {
    static func check(_ text: String) -> SyntaxError? {
        var spec = Substring(text)
        if let slash = spec.lastIndex(of: "/") {
            guard PortSyntax.protocols.contains(String(spec[spec.index(after: slash)...])) else {
                return SyntaxError("invalid exposed port \"\(text)\": unknown protocol")
            }
            spec = spec[..<slash]
        }
        return PortSyntax.range(spec) == nil ? SyntaxError("invalid exposed port \"\(text)\"") : nil
    }
}

enum IPAddressText {
    static func isValid(_ s: String) -> Bool { isIPv4(s) || isIPv6(s) }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.splitBytes(0x2e)
        return parts.count == 4 && parts.allSatisfy { ($0.decimal(maxDigits: 3) ?? 256) <= 255 }
    }

    static func isIPv6(_ s: String) -> Bool {
        var text = Substring(s)
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }   // zone id
        guard text.contains(":") else { return false }
        var groups = text.split(separator: ":", omittingEmptySubsequences: false)
        let doubleColons = text.ranges(of: "::").count
        guard doubleColons <= 1 else { return false }
        var maxGroups = 8
        if let last = groups.last, last.contains(".") {
            guard isIPv4(String(last)) else { return false }
            groups.removeLast()
            maxGroups = 6
        }
        let nonEmpty = groups.filter { !$0.isEmpty }
        guard nonEmpty.allSatisfy({ $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return false }
        return doubleColons == 1 ? nonEmpty.count < maxGroups : (nonEmpty.count == maxGroups && groups.count == maxGroups)
    }
}

/// One short-syntax volume: `[SOURCE:]TARGET[:MODES]`.
struct VolumeShortSpec: Hashable, Sendable {
    var source: String?
    var target: String
    var readOnly = false
    var selinux: String?
    var propagation: String?
    var nocopy = false

    /// Bind mounts name a path (`/`, `.`, `~`); anything else is a named volume.
    var isBind: Bool {
        guard let source else { return false }
        return source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
    }
}

enum VolumeSyntax {
    static let propagations: Set<String> = ["shared", "rshared", "slave", "rslave", "private", "rprivate"]

    static func parse(_ text: String) -> Result<VolumeShortSpec, SyntaxError> {
        let bad = { (why: String) in Result<VolumeShortSpec, SyntaxError>.failure(SyntaxError("invalid volume \"\(text)\": \(why)")) }
        let parts = text.splitBytes(0x3a).map(String.init)
        guard parts.count <= 3 else { return bad("too many \":\" (expected [SOURCE:]TARGET[:MODE])") }
        var spec: VolumeShortSpec
        switch parts.count {
        case 1:
            spec = VolumeShortSpec(source: nil, target: parts[0])
        default:
            guard !parts[0].isEmpty else { return bad("empty source") }
            spec = VolumeShortSpec(source: parts[0], target: parts[1])
        }
        guard !spec.target.isEmpty else { return bad("empty target") }
        guard spec.target.hasPrefix("/") else { return bad("target \"\(spec.target)\" is not an absolute path") }
        if parts.count == 3 {
            for mode in parts[2].splitBytes(0x2c).map(String.init) {
                switch mode {
                case "ro": spec.readOnly = true
                case "rw": spec.readOnly = false
                case "z", "Z": spec.selinux = mode
                case "nocopy": spec.nocopy = true
                case _ where propagations.contains(mode): spec.propagation = mode
                default:
                    return bad("unknown mode \"\(mode)\" (use ro, rw, z, Z, nocopy or a propagation such as rshared)")
                }
            }
        }
        return .success(spec)
    }
}

/// `no`, `always`, `on-failure[:max-retries]`, `unless-stopped`.
enum RestartSyntax {
    static func check(_ text: String) -> SyntaxError? {
        switch text {
        case "no", "always", "unless-stopped", "on-failure": return nil
        default:
            if text.hasPrefix("on-failure:"), text.dropFirst("on-failure:".count).decimal(maxDigits: 9) != nil { return nil }
            return SyntaxError("invalid restart policy \"\(text)\" (use no, always, on-failure[:max-retries] or unless-stopped)")
        }
    }
}

/// `always`, `never`, `missing`, `build`, `if_not_present`, `daily`,
/// `weekly`, `every_<duration>`.
enum PullPolicySyntax {
    static let names = ["always", "never", "missing", "build", "if_not_present", "daily", "weekly"]

    static func check(_ text: String) -> SyntaxError? {
        if names.contains(text) { return nil }
        if text.hasPrefix("every_"), let d = ComposeDuration(parsing: String(text.dropFirst(6)), units: ComposeDuration.pullUnits),
           d.nanoseconds > 0 { return nil }
        return SyntaxError("invalid pull_policy \"\(text)\" (use always, never, missing, build, daily, weekly or every_<duration>)")
    }
}
