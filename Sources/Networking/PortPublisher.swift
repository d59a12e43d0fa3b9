import Diagnostics
import Foundation
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
    /// and checks that every host port is free. Creates nothing.
    public func preflight(_ requests: [PortRequest]) throws -> [PortBinding] {
        let taken = try store.list().flatMap { $0.endpoints.values.flatMap(\.ports) }
        var chosen: [PortBinding] = []
        let bindings = try PortBinding.expand(requests) { proto, ip in
            for _ in 0..<64 {
                let p = try HostPorts.ephemeral(proto, ip)
                let candidate = PortBinding(hostIP: ip, hostPort: p, containerPort: 0, proto: proto)
                if !(taken + chosen).contains(where: { $0.conflicts(with: candidate) }) {
                    chosen.append(candidate)
                    return p
                }
            }
            throw NetworkError("no free \(proto.rawValue) port on \(ip)")
        }
        try PortPublisher.checkLoopbackTargets(bindings)
        for (i, b) in bindings.enumerated() {
            if let other = taken.first(where: { $0.conflicts(with: b) }) {
                throw NetworkError("Bind for \(b.hostIP):\(b.hostPort) failed: port is already allocated (berth publishes \(other))")
            }
            if let dup = bindings[..<i].first(where: { $0.conflicts(with: b) }) {
                throw NetworkError("Bind for \(b.hostIP):\(b.hostPort) failed: port is requested twice (\(dup) and \(b))")
            }
            if let owner = HostPorts.inUse(b) {
                throw NetworkError("Bind for \(b.hostIP):\(b.hostPort)/\(b.proto.rawValue) failed: port is already in use on the host (\(owner))")
            }
        }
        return bindings
    }

    /// Records bindings for a container attached to `network` and applies the
    /// rules. Call `preflight` first; conflicts with berth's own bindings are
    /// checked again under the lock.
    public func publish(containerID: String, network: String, bindings: [PortBinding]) throws {
        try store.withLock {
            var net = try store.inspect(network)
            guard var e = net.endpoints[containerID] else {
                throw NetworkError("container \(containerID) is not attached to network \(net.name)")
            }
            let others = try store.list().flatMap { n in
                n.endpoints.values.filter { !(n.id == net.id && $0.containerID == containerID) }.flatMap(\.ports)
            }
            for b in bindings {
                if let other = others.first(where: { $0.conflicts(with: b) }) {
                    throw NetworkError("Bind for \(b.hostIP):\(b.hostPort) failed: port is already allocated (berth publishes \(other))")
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

    /// Replies of the stateless 127.0.0.1 path (see RuleSet) are told apart
    /// by container port only, so one container port can be reachable on
    /// 127.0.0.1 through one host port only.
    static func checkLoopbackTargets(_ bindings: [PortBinding]) throws {
        var seen: [String: PortBinding] = [:]
        for b in bindings where b.hostIP.isUnspecified || b.hostIP == IPv4Address(127, 0, 0, 1) {
            let key = "\(b.containerPort)/\(b.proto.rawValue)"
            if let first = seen[key] {
                throw NetworkError("container port \(key) is published twice on 127.0.0.1 (host ports \(first.hostPort) and \(b.hostPort)); berth supports one loopback host port per container port")
            }
            seen[key] = b
        }
    }

    /// Removes a container's published ports (on every network). With
    /// `applyRules: false` the records change but the nftables rules stay
    /// until the next `applyRules` (`down`, which removes the network next).
    public func unpublish(containerID: String, applyRules: Bool = true) throws {
        try store.withLock {
            var changed = false
            for var n in try store.list() {
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
    /// describes the owner ("LISTEN 127.0.0.1:8080 by nginx (pid 42)").
    public static func inUse(_ b: PortBinding) -> String? {
        let files = b.proto == .tcp ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/udp", "/proc/net/udp6"]
        for f in files {
            guard let text = try? Sys.readFile(f) else { continue }
            for s in parseSockets(text, tcp: b.proto == .tcp) where s.port == b.hostPort {
                let sameAddr = b.hostIP.isUnspecified || s.address == nil || s.address == b.hostIP
                if sameAddr {
                    return "\(s.address.map(\.description) ?? "*"):\(s.port)" + (owner(inode: s.inode).map { " by \($0)" } ?? "")
                }
            }
        }
        let fd = socket(AF_INET, Int32((b.proto == .tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = DNSServer.sockaddrIn(b.hostIP, b.hostPort)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 && errno == EADDRINUSE { return "bind: EADDRINUSE" }
        return nil
    }

    /// A free port the kernel picks for `ip` (bind to port 0).
    public static func ephemeral(_ proto: PortProtocol, _ ip: IPv4Address) throws -> UInt16 {
        let fd = socket(AF_INET, Int32((proto == .tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket") }
        defer { close(fd) }
        var addr = DNSServer.sockaddrIn(ip, 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, len) == 0 else { return -1 }
                return getsockname(fd, p, &len)
            }
        }
        guard rc == 0 else { throw SystemError.current("bind", "\(ip):0/\(proto.rawValue)") }
        return UInt16(bigEndian: addr.sin_port)
    }

    public struct Socket: Hashable, Sendable {
        /// nil: any address (0.0.0.0 or ::).
        public var address: IPv4Address?
        public var port: UInt16
        public var inode: UInt64
    }

    /// Bound sockets of a /proc/net/{tcp,udp}[6] table (TCP: listeners only).
    public static func parseSockets(_ text: String, tcp: Bool) -> [Socket] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: " ")
            guard f.count > 9 else { return nil }
            let local = f[1].split(separator: ":")
            guard local.count == 2, let port = UInt16(local[1], radix: 16), let inode = UInt64(f[9]) else { return nil }
            if tcp && f[3] != "0A" { return nil }
            var address: IPv4Address?
            if local[0].count == 8, let raw = UInt32(local[0], radix: 16) {
                let a = IPv4Address(UInt32(bigEndian: raw))
                address = a.isUnspecified ? nil : a
            } else if local[0].count == 32 {
                // IPv6: any, or an IPv4-mapped address ::ffff:a.b.c.d; other v6 addresses count as any.
                let hex = Array(local[0])
                let word = { (i: Int) in UInt32(String(hex[(i * 8)..<(i * 8 + 8)]), radix: 16) ?? 0 }
                if word(0) == 0 && word(1) == 0 && word(2) == UInt32(0xffff).bigEndian, word(3) != 0 {
                    address = IPv4Address(UInt32(bigEndian: word(3)))
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
