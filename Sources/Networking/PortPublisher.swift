import Diagnostics
import Foundation
import IPAddress
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Publishes container ports on the host through berth's nftables table
/// (kernel NAT; no proxy process). Conflicts are found before anything is
/// created: against other berth bindings of this root, sockets in
/// /proc/net/{tcp,tcp6,udp,udp6}, and a bind() probe.
public struct PortPublisher: Sendable {
    public let store: NetworkStore

    public init(store: NetworkStore) { self.store = store }

    /// Resolves requests into bindings (choosing free ephemeral host ports)
    /// and checks that every host port is free. Creates nothing. `ipv6`:
    /// the container's network has IPv6, so requests without a host address
    /// are published on both families and IPv6 host addresses are allowed
    /// (kernel NAT cannot forward IPv6 to an IPv4-only container).
    public func preflight(_ requests: [PortRequest], ipv6: Bool = false) throws -> [PortBinding] {
        if !ipv6, let r = requests.first(where: { $0.hostIP?.isIPv6 == true }), let ip = r.hostIP {
            throw NetworkError("cannot publish on IPv6 address \(ip): the network has no IPv6 (set enable_ipv6: true on it); berth publishes with kernel NAT, which cannot forward IPv6 to an IPv4-only container")
        }
        let taken = try store.list().flatMap { $0.endpoints.values.flatMap(\.ports) }
        var chosen: [PortBinding] = []
        let bindings = try PortBinding.expand(requests, ipv6: ipv6) { proto, ips in
            for _ in 0..<64 {
                let p = try HostPorts.ephemeral(proto, ips[0])
                let candidates = ips.map { PortBinding(hostIP: $0, hostPort: p, containerPort: 0, proto: proto) }
                let free = candidates.allSatisfy { c in
                    !(taken + chosen).contains(where: { $0.conflicts(with: c) }) && HostPorts.inUse(c) == nil
                }
                if free {
                    chosen += candidates
                    return p
                }
            }
            throw NetworkError("no free \(proto.rawValue) port on \(ips.map(\.description).joined(separator: " and "))")
        }
        try PortPublisher.checkLoopbackTargets(bindings)
        for (i, b) in bindings.enumerated() {
            let bind = b.hostIP.withPort(b.hostPort)
            if let other = taken.first(where: { $0.conflicts(with: b) }) {
                throw NetworkError("Bind for \(bind) failed: port is already allocated (berth publishes \(other))")
            }
            if let dup = bindings[..<i].first(where: { $0.conflicts(with: b) }) {
                throw NetworkError("Bind for \(bind) failed: port is requested twice (\(dup) and \(b))")
            }
            if let owner = HostPorts.inUse(b) {
                throw NetworkError("Bind for \(bind)/\(b.proto.rawValue) failed: port is already in use on the host (\(owner))")
            }
        }
        return bindings
    }

    /// Records bindings for a container attached to `network` and applies the
    /// rules. Call `preflight` first; conflicts with berth's own bindings are
    /// checked again under the lock.
    public func publish(containerID: String, network: String, bindings: [PortBinding]) throws {
        try store.withLock {
            let all = try store.list()
            var net = try NetworkStore.find(network, in: all)
            guard var e = net.endpoints[containerID] else {
                throw NetworkError("container \(containerID) is not attached to network \(net.name)")
            }
            let others = all.flatMap { n in
                n.endpoints.values.filter { !(n.id == net.id && $0.containerID == containerID) }.flatMap(\.ports)
            }
            for b in bindings {
                if let other = others.first(where: { $0.conflicts(with: b) }) {
                    throw NetworkError("Bind for \(b.hostIP.withPort(b.hostPort)) failed: port is already allocated (berth publishes \(other))")
                }
                if b.hostIP.isIPv6 && e.ipv6 == nil {
                    throw NetworkError("cannot publish \(b): container \(e.containerName) has no IPv6 address on network \(net.name)")
                }
            }
            try PortPublisher.checkLoopbackTargets(bindings)
            let before = net
            e.ports = bindings
            net.endpoints[containerID] = e
            try store.save(net)
            do {
                try store.applyRules()
            } catch {
                try? store.save(before)
                throw error
            }
        }
    }

    /// Replies of the stateless loopback path (see RuleSet) are told apart
    /// by container port only, so one container port can be reachable on
    /// 127.0.0.1 (and on ::1) through one host port only.
    static func checkLoopbackTargets(_ bindings: [PortBinding]) throws {
        var seen: [String: PortBinding] = [:]
        for b in bindings where b.hostIP.isUnspecified || b.hostIP == .loopbackIPv4 || b.hostIP == .loopbackIPv6 {
            let loopback = b.hostIP.isIPv6 ? "::1" : "127.0.0.1"
            let key = "\(b.containerPort)/\(b.proto.rawValue) on \(loopback)"
            if let first = seen[key] {
                throw NetworkError("container port \(b.containerPort)/\(b.proto.rawValue) is published twice on \(loopback) (host ports \(first.hostPort) and \(b.hostPort)); berth supports one loopback host port per container port")
            }
            seen[key] = b
        }
    }

    /// Removes a container's published ports (on every network, or on
    /// those named in `networks`). With
    /// `applyRules: false` the records change but the nftables rules stay
    /// until the next `applyRules` (`down`, which removes the network next).
    public func unpublish(containerID: String, applyRules: Bool = true, networks: Set<String>? = nil) throws {
        try store.withLock {
            var changed = false
            for var n in try store.list() where networks?.contains(n.name) ?? true {
                guard var e = n.endpoints[containerID], !e.ports.isEmpty else { continue }
                if !applyRules { store.markRulesPending() }
                e.ports = []
                n.endpoints[containerID] = e
                try store.save(n)
                changed = true
            }
            if changed && applyRules { try store.applyRules() }
        }
    }

    /// The bindings of a container (for `berth port`).
    public func ports(containerID: String) throws -> [PortBinding] {
        try store.list().flatMap { $0.endpoints[containerID]?.ports ?? [] }
    }
}

/// The host's view of its ports.
public enum HostPorts {
    /// A socket in /proc/net/* using the port, or a failing bind() probe;
    /// describes the owner ("127.0.0.1:8080 by nginx (pid 42)"). An IPv6
    /// socket on `::` counts for both families (it may be dual-stack).
    public static func inUse(_ b: PortBinding) -> String? {
        let tables = b.proto == .tcp ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/udp", "/proc/net/udp6"]
        for (i, f) in tables.enumerated() {
            let v6Table = i == 1
            if b.hostIP.isIPv6 && !v6Table { continue }
            guard let text = try? Sys.readFile(f) else { continue }
            for s in parseSockets(text, tcp: b.proto == .tcp) where s.port == b.hostPort {
                let clash: Bool
                if let address = s.address {
                    clash = address == b.hostIP || (b.hostIP.isUnspecified && address.isIPv6 == b.hostIP.isIPv6)
                } else {
                    // Any address: a v4 socket takes IPv4 only; a v6 one both.
                    clash = v6Table || !b.hostIP.isIPv6
                }
                if clash {
                    return (s.address.map { $0.withPort(s.port) } ?? "*:\(s.port)") + (owner(inode: s.inode).map { " by \($0)" } ?? "")
                }
            }
        }
        let family = b.hostIP.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32((b.proto == .tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        if b.hostIP.isIPv6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let rc = withSocketAddress(b.hostIP, b.hostPort) { bind(fd, $0, $1) }
        if rc != 0 && errno == EADDRINUSE { return "bind: EADDRINUSE" }
        return nil
    }

    /// A free port the kernel picks for `ip` (bind to port 0).
    public static func ephemeral(_ proto: PortProtocol, _ ip: HostAddress) throws -> UInt16 {
        let fd = socket(ip.isIPv6 ? AF_INET6 : AF_INET,
                        Int32((proto == .tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket") }
        defer { close(fd) }
        guard withSocketAddress(ip, 0, { bind(fd, $0, $1) }) == 0 else {
            throw SystemError.current("bind", "\(ip.withPort(0))/\(proto.rawValue)")
        }
        var storage = sockaddr_in6()
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { throw SystemError.current("getsockname", "\(ip.withPort(0))/\(proto.rawValue)") }
        // sin_port and sin6_port sit at the same offset.
        return UInt16(bigEndian: storage.sin6_port)
    }

    public static func ephemeral(_ proto: PortProtocol, _ ip: IPv4Address) throws -> UInt16 {
        try ephemeral(proto, .v4(ip))
    }

    /// Calls `body` with a sockaddr for `ip`:`port` and its length.
    static func withSocketAddress<T>(_ ip: HostAddress, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch ip {
        case .v4(let a):
            var addr = a.socketAddress(port: port)
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let a):
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &addr.sin6_addr) { raw in
                for (i, byte) in a.bytes.enumerated() { raw[i] = byte }
            }
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    public struct Socket: Hashable, Sendable {
        /// nil: any address (0.0.0.0 or ::).
        public var address: HostAddress?
        public var port: UInt16
        public var inode: UInt64
    }

    /// Bound sockets of a /proc/net/{tcp,udp}[6] table (TCP: listeners
    /// only). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) reads as IPv4.
    public static func parseSockets(_ text: String, tcp: Bool) -> [Socket] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: " ")
            guard f.count > 9 else { return nil }
            let local = f[1].split(separator: ":")
            guard local.count == 2, let port = UInt16(local[1], radix: 16), let inode = UInt64(f[9]) else { return nil }
            if tcp && f[3] != "0A" { return nil }
            var address: HostAddress?
            if local[0].count == 8, let raw = UInt32(local[0], radix: 16) {
                let a = IPv4Address(UInt32(bigEndian: raw))
                address = a.isUnspecified ? nil : .v4(a)
            } else if local[0].count == 32 {
                // Four 32-bit words, each in host (little-endian) byte order.
                let hex = Array(local[0])
                let words = (0..<4).map { UInt32(bigEndian: UInt32(String(hex[($0 * 8)..<($0 * 8 + 8)]), radix: 16) ?? 0) }
                if words[0] == 0 && words[1] == 0 && words[2] == 0xffff, words[3] != 0 {
                    address = .v4(IPv4Address(words[3]))
                } else if words.contains(where: { $0 != 0 }) {
                    address = .v6(IPv6Address(bytes: words.flatMap { w in [UInt8(w >> 24), UInt8(w >> 16 & 0xff), UInt8(w >> 8 & 0xff), UInt8(w & 0xff)] }))
                }
            }
            return Socket(address: address, port: port, inode: inode)
        }
    }
    /// `comm (pid N)` of the process holding socket `inode`.
    static func owner(inode: UInt64) -> String? {
        guard inode != 0, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let target = "socket:[\(inode)]"
        for p in pids where p.first?.isNumber == true {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p)/fd") else { continue }
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(p)/fd/\(fd)")) == target {
                let comm = (try? String(contentsOfFile: "/proc/\(p)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "\(comm) (pid \(p))"
            }
        }
        return nil
    }
}
