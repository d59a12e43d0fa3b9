import IPAddress

/// What the rule renderer needs to know about one network.
public struct RuleNetwork: Hashable, Sendable {
    public var bridge: String
    public var subnet: IPv4Subnet
    public var subnet6: IPv6Subnet?
    /// The bridge's IPv6 address: the source of IPv6 hairpin traffic.
    public var gateway6: IPv6Address?
    public var loopbackAlias: IPv4Address
    public var isInternal: Bool

    public init(bridge: String, subnet: IPv4Subnet, subnet6: IPv6Subnet? = nil, gateway6: IPv6Address? = nil,
                loopbackAlias: IPv4Address, isInternal: Bool) {
        self.bridge = bridge
        self.subnet = subnet
        self.subnet6 = subnet6
        self.gateway6 = gateway6
        self.loopbackAlias = loopbackAlias
        self.isInternal = isInternal
    }
}

/// One published port of one container on one network.
public struct RulePort: Hashable, Sendable {
    public var bridge: String
    public var loopbackAlias: IPv4Address
    public var containerIP: IPv4Address
    /// For IPv6 bindings: the container's IPv6 address and the network's
    /// IPv6 loopback alias (bindings without them are not rendered).
    public var loopbackAlias6: IPv6Address?
    public var containerIP6: IPv6Address?
    public var binding: PortBinding

    public init(bridge: String, loopbackAlias: IPv4Address, containerIP: IPv4Address, binding: PortBinding,
                loopbackAlias6: IPv6Address? = nil, containerIP6: IPv6Address? = nil) {
        self.bridge = bridge
        self.loopbackAlias = loopbackAlias
        self.containerIP = containerIP
        self.loopbackAlias6 = loopbackAlias6
        self.containerIP6 = containerIP6
        self.binding = binding
    }
}

/// A base chain of another owner's table that hooks forward with policy
/// drop (Docker's `ip filter FORWARD`), and the chain berth inserts its accept
/// rules into (Docker's `DOCKER-USER` when present, else the base chain).
public struct ForeignDropChain: Hashable, Sendable {
    public var family: String
    public var table: String
    public var chain: String

    public init(family: String, table: String, chain: String) {
        self.family = family
        self.table = table
        self.chain = chain
    }
}

/// Renders berth's nftables table: one `table inet <name>` that berth owns
/// completely and replaces in one transaction. Pure; `NFTables` applies it.
///
/// Published ports use kernel NAT:
/// - from other hosts and containers: DNAT in prerouting for local
///   destinations (`fib daddr type local`) or the given host address;
/// - from the host to its own addresses: DNAT in the nat output hook;
/// - from the host to 127.0.0.1: the kernel refuses to route a packet with a
///   loopback source out of a non-loopback device unless route_localnet is
///   set, which berth never does (it would let containers reach the host's
///   loopback services). Instead such packets skip conntrack (`notrack` in
///   raw output), a route chain rewrites them to come from the network's
///   loopback alias address to the container (`ip saddr set …`, the kernel
///   reroutes), and the replies, also untracked, are rewritten back to
///   127.0.0.1 in the input hook before the socket lookup. Stateless NAT:
///   checksums are updated by nft's payload statements.
///
/// IPv6 bindings (`::`, `::1`, a host address) get the same rules in the
/// ip6 family, to the container's IPv6 address, with the network's IPv6
/// loopback alias for ::1 (IPv6 has no route_localnet at all). Kernel NAT
/// cannot turn IPv6 into IPv4: IPv6 bindings exist only on networks with
/// IPv6 (PortPublisher refuses them elsewhere).
public enum RuleSet {
    /// Comment tagging berth's accept rules in other owners' chains.
    public static func compatComment(table: String) -> String { "berth-compat:\(table)" }

    /// How a transaction gets from the live table to the wanted one.
    public enum Mode: Sendable {
        /// Delete the table (whatever it holds) and define it again; `add
        /// table` first makes `delete table` safe when it is absent.
        case replace
        /// The table is absent: define it (only additions, which the kernel
        /// commits without freeing anything).
        case create
        /// The table exists with berth's chains: flush its rules and add the
        /// new ones. The base chains stay registered, which saves the kernel
        /// unhooking and hooking them again (~10 ms per transaction here).
        case update
    }

    /// The mode for a live table that exists or not.
    public static func mode(tableExists: Bool) -> Mode { tableExists ? .update : .create }

    /// The text of one nft transaction that gives berth's table the rules for
    /// `networks` and `ports`, or removes the table when there are no
    /// networks (empty text when there is nothing to do).
    public static func render(table: String, networks: [RuleNetwork], ports: [RulePort], mode: Mode = .replace) -> String {
        var out: String
        switch mode {
        case .replace: out = "add table inet \(table)\ndelete table inet \(table)\n"
        case .create: out = ""
        case .update: out = networks.isEmpty ? "delete table inet \(table)\n" : "flush table inet \(table)\n"
        }
        if networks.isEmpty { return out }
        out += "table inet \(table) {\n"
        let nets = networks.sorted { $0.bridge < $1.bridge }
        let ps = ports.sorted { ($0.binding.hostPort, $0.binding.proto.rawValue, $0.bridge) < ($1.binding.hostPort, $1.binding.proto.rawValue, $1.bridge) }
        let loopbackPorts = ps.filter {
            $0.binding.hostIP.isUnspecified || $0.binding.hostIP == .loopbackIPv4 || $0.binding.hostIP == .loopbackIPv6
        }

        func chain(_ name: String, _ header: String, _ rules: [String]) {
            out += "    chain \(name) {\n        \(header); policy accept;\n"
            for r in rules { out += "        \(r)\n" }
            out += "    }\n"
        }
        func q(_ s: String) -> String { "\"\(s)\"" }

        /// The family's words for one port: nft's `ip`/`ip6`, the loopback
        /// address, the container's address and the network's alias.
        struct Family { var word: String; var nfproto: String; var loopback: String; var container: String; var alias: String }
        func family(_ p: RulePort) -> Family? {
            if p.binding.hostIP.isIPv6 {
                guard let c6 = p.containerIP6, let a6 = p.loopbackAlias6 else { return nil }
                return Family(word: "ip6", nfproto: "ipv6", loopback: "::1", container: c6.description, alias: a6.description)
            }
            return Family(word: "ip", nfproto: "ipv4", loopback: "127.0.0.1", container: p.containerIP.description,
                          alias: p.loopbackAlias.description)
        }

        // Host → 127.0.0.1:port (::1:port), stateless (see the type's comment).
        var outputRaw: [String] = [], outputRoute: [String] = [], preRaw: [String] = [], inputLoopback: [String] = []
        for p in loopbackPorts {
            guard let f = family(p) else { continue }
            let b = p.binding
            outputRaw.append("\(f.word) daddr \(f.loopback) \(b.proto) dport \(b.hostPort) notrack")
            outputRoute.append("\(f.word) daddr \(f.loopback) \(b.proto) dport \(b.hostPort) \(f.word) saddr set \(f.alias) \(f.word) daddr set \(f.container) \(b.proto) dport set \(b.containerPort)")
            preRaw.append("iifname \(q(p.bridge)) \(f.word) saddr \(f.container) \(f.word) daddr \(f.alias) \(b.proto) sport \(b.containerPort) notrack")
            inputLoopback.append("iifname \(q(p.bridge)) \(f.word) saddr \(f.container) \(f.word) daddr \(f.alias) \(b.proto) sport \(b.containerPort) \(f.word) saddr set \(f.loopback) \(f.word) daddr set \(f.loopback) \(b.proto) sport set \(b.hostPort)")
        }
        chain("output_raw", "type filter hook output priority raw", outputRaw)
        chain("output_route", "type route hook output priority mangle", outputRoute)
        chain("prerouting_raw", "type filter hook prerouting priority raw", preRaw)
        chain("input_loopback", "type filter hook input priority mangle", inputLoopback)

        // DNAT for everything else that reaches a published port.
        var pre: [String] = [], outNat: [String] = []
        for p in ps {
            guard let f = family(p) else { continue }
            let b = p.binding
            let to = f.word == "ip6" ? "dnat ip6 to [\(f.container)]:\(b.containerPort)" : "dnat ip to \(f.container):\(b.containerPort)"
            if b.hostIP.isUnspecified {
                let loopbackNet = f.word == "ip6" ? "::1" : "127.0.0.0/8"
                pre.append("meta nfproto \(f.nfproto) fib daddr type local \(b.proto) dport \(b.hostPort) \(to)")
                outNat.append("meta nfproto \(f.nfproto) fib daddr type local \(f.word) daddr != \(loopbackNet) \(b.proto) dport \(b.hostPort) \(to)")
            } else if !b.hostIP.isLoopback {
                pre.append("\(f.word) daddr \(b.hostIP) \(b.proto) dport \(b.hostPort) \(to)")
                outNat.append("\(f.word) daddr \(b.hostIP) \(b.proto) dport \(b.hostPort) \(to)")
            }
        }
        chain("prerouting_nat", "type nat hook prerouting priority dstnat", pre)
        chain("output_nat", "type nat hook output priority -100", outNat)

        var post: [String] = []
        for n in nets {
            // Hairpin: a container reaching a published port on its own network
            // must see replies come back through the host.
            post.append("oifname \(q(n.bridge)) ct status dnat ip saddr \(n.subnet) masquerade")
            if let s6 = n.subnet6, let g6 = n.gateway6 {
                // Not masquerade: IPv6 source selection may pick the bridge's
                // loopback alias, whose replies the ::1 path rewrites.
                post.append("oifname \(q(n.bridge)) ct status dnat ip6 saddr \(s6) snat ip6 to \(g6)")
                post.append("oifname \(q(n.bridge)) ct status dnat meta nfproto ipv6 fib saddr type local snat ip6 to \(g6)")
            }
            if n.isInternal {
                // The host's own connections: a container on an internal
                // network has no route back to the host's other addresses.
                // Elsewhere they need no NAT (the container answers through
                // its gateway, the host, whose conntrack undoes the DNAT),
                // which spares every connection a second NAT binding.
                post.append("oifname \(q(n.bridge)) ct status dnat fib saddr type local masquerade")
            } else {
                post.append("ip saddr \(n.subnet) oifname != \(q(n.bridge)) masquerade")
                if let s6 = n.subnet6 {
                    post.append("ip6 saddr \(s6) oifname != \(q(n.bridge)) masquerade")
                }
            }
        }
        chain("postrouting_nat", "type nat hook postrouting priority srcnat", post)

        // Forwarding: internal networks stay inside; replies and published
        // ports are let in; berth bridges never talk to each other directly;
        // nothing else enters a berth bridge from outside.
        var fwd: [String] = []
        for n in nets where n.isInternal {
            fwd.append("iifname \(q(n.bridge)) oifname != \(q(n.bridge)) drop")
            fwd.append("oifname \(q(n.bridge)) iifname != \(q(n.bridge)) drop")
        }
        for n in nets {
            fwd.append("oifname \(q(n.bridge)) ct state established,related accept")
            fwd.append("oifname \(q(n.bridge)) ct status dnat accept")
            fwd.append("iifname \(q(n.bridge)) oifname \(q(n.bridge)) accept")
        }
        for n in nets {
            fwd.append("iifname \(q(n.bridge)) oifname \"brt-*\" drop")
            fwd.append("oifname \(q(n.bridge)) drop")
        }
        for n in nets { fwd.append("iifname \(q(n.bridge)) accept") }
        chain("forward", "type filter hook forward priority filter", fwd)
        out += "}\n"
        return out
    }

    /// Commands inserting berth's accept rules into other owners' drop-policy
    /// forward chains, so bridge traffic is not dropped there (berth's own
    /// table still applies its isolation). Each rule carries `compatComment`.
    public static func renderCompat(table: String, chains: [ForeignDropChain], bridges: [String]) -> String {
        guard !bridges.isEmpty else { return "" }
        let set = "{ " + bridges.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + " }"
        var out = ""
        for c in chains {
            let comment = "comment \"\(compatComment(table: table))\""
            out += "insert rule \(c.family) \(c.table) \(c.chain) oifname \(set) accept \(comment)\n"
            out += "insert rule \(c.family) \(c.table) \(c.chain) iifname \(set) accept \(comment)\n"
        }
        return out
    }

    /// The table name for a state root: `berth` for the default root, else
    /// `berth_<hash>` so that separate roots (tests) never share a table.
    public static func tableName(forRoot root: String, defaultRoot: String = "/var/lib/berth") -> String {
        if root == defaultRoot { return "berth" }
        var h: UInt32 = 2_166_136_261
        for b in root.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let hex = String(h, radix: 16)
        return "berth_" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
