import IPAddress

/// A problem with a network request that the user can fix: a subnet that
/// overlaps, an address already taken, a port in use.
public struct NetworkError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The `ipam.config` entry of a compose network (or `network create` flags).
public struct IPAMRequest: Hashable, Sendable, Codable {
    public var subnet: IPv4Subnet?
    public var gateway: IPv4Address?
    /// Container addresses are allocated from this range only.
    public var ipRange: IPv4Subnet?
    public var enableIPv6: Bool
    public var subnet6: IPv6Subnet?

    public init(subnet: IPv4Subnet? = nil, gateway: IPv4Address? = nil, ipRange: IPv4Subnet? = nil,
                enableIPv6: Bool = false, subnet6: IPv6Subnet? = nil) {
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.enableIPv6 = enableIPv6
        self.subnet6 = subnet6
    }
}

/// The address plan of one network.
public struct AddressPlan: Hashable, Sendable, Codable {
    public var subnet: IPv4Subnet
    public var gateway: IPv4Address
    public var ipRange: IPv4Subnet?
    /// A host address on the bridge used as the source of traffic that the
    /// host sends to a published port on 127.0.0.1 (see RuleSet): the last
    /// host address of the subnet, never given to a container.
    public var loopbackAlias: IPv4Address
    public var subnet6: IPv6Subnet?
    public var gateway6: IPv6Address?

    /// The IPv6 counterpart of `loopbackAlias` (source of the host's
    /// traffic to a port published on ::1): the second-to-last address of
    /// the IPv6 subnet (of its first 2^64 addresses), never a container's
    /// (those follow the IPv4 host part).
    public var loopbackAlias6: IPv6Address? {
        guard let s6 = subnet6 else { return nil }
        let size: UInt64 = s6.prefix <= 64 ? UInt64.max : (UInt64(1) << UInt64(128 - s6.prefix)) - 1
        return s6.address(at: size - 1)
    }
}

/// IP address management: pure functions over the host's routes and the
/// subnets berth already uses.
public enum IPAM {
    /// Private pools, in the order Docker uses them: 172.17–31.x, 192.168.x, 10.x,
    /// each carved into /24s.
    public static let pools: [IPv4Subnet] = [
        IPv4Subnet(IPv4Address(172, 17, 0, 0), prefix: 16), IPv4Subnet(IPv4Address(172, 18, 0, 0), prefix: 15),
        IPv4Subnet(IPv4Address(172, 20, 0, 0), prefix: 14), IPv4Subnet(IPv4Address(172, 24, 0, 0), prefix: 13),
        IPv4Subnet(IPv4Address(192, 168, 0, 0), prefix: 16),
        IPv4Subnet(IPv4Address(10, 0, 0, 0), prefix: 8),
    ]

    /// Chooses the address plan of a new network. A requested subnet must not
    /// overlap another berth network; an automatic one overlaps neither a
    /// host route nor a berth network. `seed` (e.g. the network id) fixes the
    /// IPv6 ULA prefix when IPv6 is enabled without a subnet.
    public static func plan(_ request: IPAMRequest, hostRoutes: [IPv4Subnet], taken: [IPv4Subnet],
                            seed: [UInt8] = []) throws -> AddressPlan {
        let subnet: IPv4Subnet
        if let s = request.subnet {
            guard s.prefix <= 30 else { throw NetworkError("subnet \(s) is too small: berth needs at least a /30") }
            if let clash = taken.first(where: { $0.overlaps(s) }) {
                throw NetworkError("subnet \(s) overlaps berth network subnet \(clash)")
            }
            subnet = s
        } else {
            guard let s = freeSubnet(avoiding: hostRoutes + taken) else {
                throw NetworkError("no free /24 left in the private pools 172.17-31.x, 192.168.x and 10.x")
            }
            subnet = s
        }
        let gateway = request.gateway ?? IPv4Address(subnet.network.value + 1)
        guard subnet.contains(gateway), gateway != subnet.network, gateway != subnet.broadcast else {
            throw NetworkError("gateway \(gateway) is not a host address of subnet \(subnet)")
        }
        if let r = request.ipRange, !subnet.contains(r) {
            throw NetworkError("ip range \(r) is not inside subnet \(subnet)")
        }
        var alias = IPv4Address(subnet.broadcast.value - 1)
        if alias == gateway { alias = IPv4Address(alias.value - 1) }
        var plan = AddressPlan(subnet: subnet, gateway: gateway, ipRange: request.ipRange, loopbackAlias: alias)
        if request.enableIPv6 || request.subnet6 != nil {
            let s6 = request.subnet6 ?? ulaSubnet(seed: seed)
            plan.subnet6 = s6
            plan.gateway6 = s6.address(at: 1)
        }
        return plan
    }

    /// The first /24 of the pools that overlaps none of `avoiding`.
    public static func freeSubnet(avoiding: [IPv4Subnet]) -> IPv4Subnet? {
        // Default routes say nothing about which subnets are in use.
        let blockers = avoiding.filter { $0.prefix > 0 }
        for pool in pools {
            var candidate = pool.network.value
            while pool.contains(IPv4Address(candidate)) {
                let s = IPv4Subnet(IPv4Address(candidate), prefix: 24)
                if let b = blockers.first(where: { $0.overlaps(s) }) {
                    // Skip past the whole blocker when it is larger than a /24.
                    let next = b.prefix < 24 ? b.last.value &+ 1 : candidate &+ 256
                    if next <= candidate { break }
                    candidate = next
                    continue
                }
                return s
            }
        }
        return nil
    }

    /// A /64 unique local prefix `fdXX:XXXX:XXXX:XXXX::/64` from the seed bytes.
    public static func ulaSubnet(seed: [UInt8]) -> IPv6Subnet {
        var b = [UInt8](repeating: 0, count: 16)
        b[0] = 0xfd
        for i in 1..<8 { b[i] = i - 1 < seed.count ? seed[i - 1] : UInt8(i) }
        return IPv6Subnet(IPv6Address(bytes: b), prefix: 64)
    }

    /// Addresses of the plan no container may have.
    public static func reserved(_ plan: AddressPlan) -> Set<IPv4Address> {
        [plan.subnet.network, plan.subnet.broadcast, plan.gateway, plan.loopbackAlias]
    }

    /// Chooses a container address: `requested` when given (static
    /// `ipv4_address`), else the lowest free address of the ip range (or subnet).
    public static func allocate(in plan: AddressPlan, used: Set<IPv4Address>,
                                requested: IPv4Address? = nil) throws -> IPv4Address {
        let reserved = reserved(plan)
        if let r = requested {
            guard plan.subnet.contains(r) else {
                throw NetworkError("address \(r) is not in the network's subnet \(plan.subnet)")
            }
            guard !reserved.contains(r) else {
                throw NetworkError("address \(r) is reserved on subnet \(plan.subnet) (network, gateway or broadcast)")
            }
            guard !used.contains(r) else { throw NetworkError("address \(r) is already in use") }
            return r
        }
        let range = plan.ipRange ?? plan.subnet
        var v = range.first.value
        while v <= range.last.value {
            let a = IPv4Address(v)
            if plan.subnet.contains(a), !reserved.contains(a), !used.contains(a) { return a }
            if v == UInt32.max { break }
            v += 1
        }
        throw NetworkError("no free address left in \(range)")
    }

    /// The IPv6 address of a container: the subnet prefix plus the host part
    /// of its IPv4 address, so both stay unique together.
    public static func address6(in plan: AddressPlan, for ipv4: IPv4Address) -> IPv6Address? {
        guard let s6 = plan.subnet6 else { return nil }
        return s6.address(at: UInt64(ipv4.value & ~plan.subnet.mask) + 1)
    }

    /// Parses `/proc/net/route` (IPv4 routes; addresses little-endian hex)
    /// into the destinations the host routes, default routes excluded.
    public static func parseRoutes(_ text: String) -> [IPv4Subnet] {
        var out: [IPv4Subnet] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 8, let dst = UInt32(f[1], radix: 16), let mask = UInt32(f[7], radix: 16) else { continue }
            // The kernel prints the network-order word as a native integer.
            let prefix = mask.nonzeroBitCount
            if prefix == 0 { continue }
            out.append(IPv4Subnet(IPv4Address(UInt32(bigEndian: dst)), prefix: prefix))
        }
        return out
    }
}
