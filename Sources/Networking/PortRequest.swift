import IPAddress

/// Transport protocol of a published port.
public enum PortProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case tcp, udp
}

/// One published-port request as written by the user: Compose short syntax
/// (`"8000"`, `"8000:80"`, `"127.0.0.1:8000:80"`, `"127.0.0.1::80"`,
/// `"[::1]:8000:80"`, `"8000-8001:80-81/udp"`) or long syntax (target,
/// published, host_ip, protocol). A missing host port means "any free port".
public struct PortRequest: Hashable, Sendable, Codable {
    /// nil: every host address — of both families when the network has
    /// IPv6 (Docker's default), else of IPv4 only (see `PortBinding.expand`).
    public var hostIP: HostAddress?
    /// nil: choose free ephemeral ports.
    public var hostPorts: ClosedRange<UInt16>?
    public var containerPorts: ClosedRange<UInt16>
    public var proto: PortProtocol

    public init(hostIP: HostAddress? = nil, hostPorts: ClosedRange<UInt16>? = nil,
                containerPorts: ClosedRange<UInt16>, proto: PortProtocol = .tcp) {
        self.hostIP = hostIP
        self.hostPorts = hostPorts
        self.containerPorts = containerPorts
        self.proto = proto
    }

    /// Parses Compose's short syntax. Errors say what is wrong with the text.
    public static func parse(_ text: String) throws -> PortRequest {
        var body = Substring(text)
        var proto = PortProtocol.tcp
        if let slash = body.lastIndex(of: "/") {
            let p = body[body.index(after: slash)...].lowercased()
            guard let pp = PortProtocol(rawValue: p) else {
                throw NetworkError("invalid port \"\(text)\": unknown protocol \"\(p)\" (expected tcp or udp)")
            }
            proto = pp
            body = body[..<slash]
        }
        var hostIP: HostAddress?
        var rest = body
        // An IPv6 host address is written in brackets: [::1]:80:80, [::]::80.
        if body.hasPrefix("[") {
            guard let close = body.firstIndex(of: "]"), let ip = HostAddress(body[body.index(after: body.startIndex)..<close]),
                  ip.isIPv6 else {
                throw NetworkError("invalid port \"\(text)\": invalid IPv6 host address (expected [ADDRESS]:HOST_PORT:CONTAINER_PORT)")
            }
            let after = body[body.index(after: close)...]
            guard after.hasPrefix(":"), after.dropFirst().split(separator: ":", omittingEmptySubsequences: false).count == 2 else {
                throw NetworkError("invalid port \"\(text)\": expected [IPV6]:[HOST_PORT]:CONTAINER_PORT[/PROTOCOL]")
            }
            hostIP = ip
            rest = after.dropFirst()
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...3).contains(parts.count) else {
                throw NetworkError("invalid port \"\(text)\": expected [[HOST_IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL] (an IPv6 host address goes in brackets)")
            }
            if parts.count == 3 {
                guard let ip = IPv4Address(parts[0]) else {
                    throw NetworkError("invalid port \"\(text)\": invalid host address \"\(parts[0])\"")
                }
                // An explicit 0.0.0.0 means IPv4 only (Docker); no address means both families.
                hostIP = .v4(ip)
                rest = parts[1] + ":" + parts[2]
            }
        }
        let hp = rest.split(separator: ":", omittingEmptySubsequences: false)
        let containerText = hp.last ?? ""
        guard let container = range(containerText) else {
            throw NetworkError("invalid port \"\(text)\": invalid container port \"\(containerText)\"")
        }
        var host: ClosedRange<UInt16>?
        if hp.count == 2 && !hp[0].isEmpty {
            guard let h = range(hp[0]) else {
                throw NetworkError("invalid port \"\(text)\": invalid host port \"\(hp[0])\"")
            }
            guard h.count == container.count || container.count == 1 else {
                throw NetworkError("invalid port \"\(text)\": host range \(hp[0]) and container range \(containerText) differ in size")
            }
            host = h
        }
        return PortRequest(hostIP: hostIP, hostPorts: host, containerPorts: container, proto: proto)
    }

    static func range(_ s: Substring) -> ClosedRange<UInt16>? {
        let ends = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count) else { return nil }
        let nums = ends.compactMap { e -> UInt16? in
            guard !e.isEmpty, e.allSatisfy(\.isNumber), let v = UInt16(e), v > 0 else { return nil }
            return v
        }
        guard nums.count == ends.count, nums[0] <= nums[nums.count - 1] else { return nil }
        return nums[0]...nums[nums.count - 1]
    }
}

/// One resolved host-port → container-port forwarding.
public struct PortBinding: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 0.0.0.0 means every IPv4 host address, including 127.0.0.1; `::`
    /// every IPv6 one, including ::1.
    public var hostIP: HostAddress
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var proto: PortProtocol

    public init(hostIP: HostAddress, hostPort: UInt16, containerPort: UInt16, proto: PortProtocol) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    public init(hostIP: IPv4Address, hostPort: UInt16, containerPort: UInt16, proto: PortProtocol) {
        self.init(hostIP: .v4(hostIP), hostPort: hostPort, containerPort: containerPort, proto: proto)
    }

    /// `0.0.0.0:8000->80/tcp`, `[::]:8000->80/tcp`: Docker's layout.
    public var description: String { "\(hostIP.withPort(hostPort))->\(containerPort)/\(proto.rawValue)" }

    /// Whether a binding on `other` would take the same port: same protocol,
    /// port and family, and the same address or an unspecified one.
    public func conflicts(with other: PortBinding) -> Bool {
        proto == other.proto && hostPort == other.hostPort && hostIP.isIPv6 == other.hostIP.isIPv6
            && (hostIP == other.hostIP || hostIP.isUnspecified || other.hostIP.isUnspecified)
    }

    /// Expands requests into bindings. A request without a host address
    /// gets one binding on 0.0.0.0 and, with `ipv6`, one on `::` with the
    /// same host port (Docker's default). `pickPort` supplies a host port
    /// free on every given address for requests without one (called once per
    /// container port).
    public static func expand(_ requests: [PortRequest], ipv6: Bool = false,
                              pickPort: (PortProtocol, [HostAddress]) throws -> UInt16) throws -> [PortBinding] {
        var out: [PortBinding] = []
        for r in requests {
            let ips = r.hostIP.map { [$0] } ?? (ipv6 ? [.anyIPv4, .anyIPv6] : [.anyIPv4])
            let cports = Array(r.containerPorts)
            var pairs: [(UInt16, UInt16)] = []
            if let h = r.hostPorts {
                let hports = Array(h)
                if cports.count == 1 && hports.count > 1 {
                    // "8000-8010:80": Docker takes the first free port of the range;
                    // berth takes the first one, conflicts are checked later.
                    pairs = [(hports[0], cports[0])]
                } else {
                    pairs = Array(zip(hports, cports))
                }
            } else {
                for cp in cports { pairs.append((try pickPort(r.proto, ips), cp)) }
            }
            for (hp, cp) in pairs {
                for ip in ips { out.append(PortBinding(hostIP: ip, hostPort: hp, containerPort: cp, proto: r.proto)) }
            }
        }
        return out
    }
}
