import IPAddress
@testable import Networking
import Testing

@Suite struct RuleSetTests {
    static let web = RuleNetwork(bridge: "brt-aaaa1111", subnet: IPv4Subnet("172.18.0.0/24")!,
                                 loopbackAlias: IPv4Address(172, 18, 0, 254), isInternal: false)
    static let db = RuleNetwork(bridge: "brt-bbbb2222", subnet: IPv4Subnet("172.19.0.0/24")!,
                                loopbackAlias: IPv4Address(172, 19, 0, 254), isInternal: true)

    @Test func noNetworksDeletesTheTable() {
        #expect(RuleSet.render(table: "berth_x", networks: [], ports: []) == "add table inet berth_x\ndelete table inet berth_x\n")
    }

    struct ModeCase: CustomTestStringConvertible, Sendable {
        var name: String
        var mode: RuleSet.Mode
        var networks: [RuleNetwork]
        /// The transaction's first line, or nil for no transaction at all.
        var firstLine: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        ModeCase(name: "create with networks defines the table", mode: .create, networks: [web], firstLine: "table inet berth_x {"),
        ModeCase(name: "create without networks does nothing", mode: .create, networks: [], firstLine: nil),
        ModeCase(name: "update with networks flushes and refills", mode: .update, networks: [web], firstLine: "flush table inet berth_x"),
        ModeCase(name: "update without networks deletes the table", mode: .update, networks: [], firstLine: "delete table inet berth_x"),
        ModeCase(name: "replace always starts from nothing", mode: .replace, networks: [web], firstLine: "add table inet berth_x"),
    ])
    func modes(_ c: ModeCase) {
        let text = RuleSet.render(table: "berth_x", networks: c.networks, ports: [], mode: c.mode)
        #expect(text.split(separator: "\n").first.map(String.init) == c.firstLine)
        if !c.networks.isEmpty {
            // Same chains and rules whatever the way there.
            let body = RuleSet.render(table: "berth_x", networks: c.networks, ports: [], mode: .create)
            #expect(text.hasSuffix(body))
        }
    }

    @Test func modeFollowsTheLiveTable() {
        #expect(RuleSet.mode(tableExists: true) == .update)
        #expect(RuleSet.mode(tableExists: false) == .create)
    }

    @Test func rendersIPv6BindingsInTheIP6Family() {
        let net = RuleNetwork(bridge: "brt-cccc3333", subnet: IPv4Subnet("172.20.0.0/24")!, subnet6: IPv6Subnet("fd00:1::/64")!,
                              gateway6: IPv6Address("fd00:1::1"), loopbackAlias: IPv4Address(172, 20, 0, 254), isInternal: false)
        func port(_ ip: HostAddress, _ host: UInt16, c6: IPv6Address? = IPv6Address("fd00:1::3")) -> RulePort {
            RulePort(bridge: net.bridge, loopbackAlias: net.loopbackAlias, containerIP: IPv4Address(172, 20, 0, 2),
                     binding: PortBinding(hostIP: ip, hostPort: host, containerPort: 80, proto: .tcp),
                     loopbackAlias6: IPv6Address("fd00:1::ffff:ffff:ffff:fffe"), containerIP6: c6)
        }
        let text = RuleSet.render(table: "berth", networks: [net], ports: [
            port(.anyIPv6, 8080), port(.loopbackIPv6, 8081), port(HostAddress("fd00:9::1")!, 8082),
            port(.anyIPv6, 8083, c6: nil),  // no container address: nothing rendered
        ])
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for expected in [
            "ip6 daddr ::1 tcp dport 8080 notrack",
            "ip6 daddr ::1 tcp dport 8081 ip6 saddr set fd00:1::ffff:ffff:ffff:fffe ip6 daddr set fd00:1::3 tcp dport set 80",
            "iifname \"brt-cccc3333\" ip6 saddr fd00:1::3 ip6 daddr fd00:1::ffff:ffff:ffff:fffe tcp sport 80 notrack",
            "iifname \"brt-cccc3333\" ip6 saddr fd00:1::3 ip6 daddr fd00:1::ffff:ffff:ffff:fffe tcp sport 80 ip6 saddr set ::1 ip6 daddr set ::1 tcp sport set 8080",
            "meta nfproto ipv6 fib daddr type local tcp dport 8080 dnat ip6 to [fd00:1::3]:80",
            "meta nfproto ipv6 fib daddr type local ip6 daddr != ::1 tcp dport 8080 dnat ip6 to [fd00:1::3]:80",
            "ip6 daddr fd00:9::1 tcp dport 8082 dnat ip6 to [fd00:1::3]:80",
            "oifname \"brt-cccc3333\" ct status dnat ip6 saddr fd00:1::/64 snat ip6 to fd00:1::1",
            "oifname \"brt-cccc3333\" ct status dnat meta nfproto ipv6 fib saddr type local snat ip6 to fd00:1::1",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)")
        }
        // ::1 only: no DNAT rule for it; the port without an IPv6 container address: no rule at all.
        #expect(!text.contains("dport 8081 dnat"))
        #expect(!text.contains("8083"))
        #expect(!text.contains("dport 8082 notrack"))
    }

    @Test func rendersMasqueradeIsolationAndPorts() {
        let port = RulePort(bridge: Self.web.bridge, loopbackAlias: Self.web.loopbackAlias, containerIP: IPv4Address(172, 18, 0, 2),
                            binding: PortBinding(hostIP: IPv4Address(0), hostPort: 8080, containerPort: 80, proto: .tcp))
        let local = RulePort(bridge: Self.web.bridge, loopbackAlias: Self.web.loopbackAlias, containerIP: IPv4Address(172, 18, 0, 3),
                             binding: PortBinding(hostIP: IPv4Address(127, 0, 0, 1), hostPort: 5353, containerPort: 53, proto: .udp))
        let text = RuleSet.render(table: "berth", networks: [Self.db, Self.web], ports: [local, port])
        let expected = """
            add table inet berth
            delete table inet berth
            table inet berth {
                chain output_raw {
                    type filter hook output priority raw; policy accept;
                    ip daddr 127.0.0.1 udp dport 5353 notrack
                    ip daddr 127.0.0.1 tcp dport 8080 notrack
                }
                chain output_route {
                    type route hook output priority mangle; policy accept;
                    ip daddr 127.0.0.1 udp dport 5353 ip saddr set 172.18.0.254 ip daddr set 172.18.0.3 udp dport set 53
                    ip daddr 127.0.0.1 tcp dport 8080 ip saddr set 172.18.0.254 ip daddr set 172.18.0.2 tcp dport set 80
                }
                chain prerouting_raw {
                    type filter hook prerouting priority raw; policy accept;
                    iifname "brt-aaaa1111" ip saddr 172.18.0.3 ip daddr 172.18.0.254 udp sport 53 notrack
                    iifname "brt-aaaa1111" ip saddr 172.18.0.2 ip daddr 172.18.0.254 tcp sport 80 notrack
                }
                chain input_loopback {
                    type filter hook input priority mangle; policy accept;
                    iifname "brt-aaaa1111" ip saddr 172.18.0.3 ip daddr 172.18.0.254 udp sport 53 ip saddr set 127.0.0.1 ip daddr set 127.0.0.1 udp sport set 5353
                    iifname "brt-aaaa1111" ip saddr 172.18.0.2 ip daddr 172.18.0.254 tcp sport 80 ip saddr set 127.0.0.1 ip daddr set 127.0.0.1 tcp sport set 8080
                }
                chain prerouting_nat {
                    type nat hook prerouting priority dstnat; policy accept;
                    meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 172.18.0.2:80
                }
                chain output_nat {
                    type nat hook output priority -100; policy accept;
                    meta nfproto ipv4 fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 172.18.0.2:80
                }
                chain postrouting_nat {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "brt-aaaa1111" ct status dnat ip saddr 172.18.0.0/24 masquerade
                    ip saddr 172.18.0.0/24 oifname != "brt-aaaa1111" masquerade
                    oifname "brt-bbbb2222" ct status dnat ip saddr 172.19.0.0/24 masquerade
                    oifname "brt-bbbb2222" ct status dnat fib saddr type local masquerade
                }
                chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "brt-bbbb2222" oifname != "brt-bbbb2222" drop
                    oifname "brt-bbbb2222" iifname != "brt-bbbb2222" drop
                    oifname "brt-aaaa1111" ct state established,related accept
                    oifname "brt-aaaa1111" ct status dnat accept
                    iifname "brt-aaaa1111" oifname "brt-aaaa1111" accept
                    oifname "brt-bbbb2222" ct state established,related accept
                    oifname "brt-bbbb2222" ct status dnat accept
                    iifname "brt-bbbb2222" oifname "brt-bbbb2222" accept
                    iifname "brt-aaaa1111" oifname "brt-*" drop
                    oifname "brt-aaaa1111" drop
                    iifname "brt-bbbb2222" oifname "brt-*" drop
                    oifname "brt-bbbb2222" drop
                    iifname "brt-aaaa1111" accept
                    iifname "brt-bbbb2222" accept
                }
            }

            """
        #expect(text == expected)
    }

    @Test func compatRulesGoWhereDockerExpectsThem() {
        let json = """
            {"nftables": [{"metainfo": {}},
             {"table": {"family": "ip", "name": "filter", "handle": 1}},
             {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 2, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER", "handle": 3}},
             {"table": {"family": "inet", "name": "bt1", "handle": 4}},
             {"chain": {"family": "inet", "table": "bt1", "name": "fwd", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"chain": {"family": "inet", "table": "berth", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 9, "comment": "berth-compat:berth", "expr": []}}
            ]}
            """
        let state = NFTables.parseForeign(json: json)
        #expect(state.dropChains == [ForeignDropChain(family: "ip", table: "filter", chain: "DOCKER-USER"),
                                     ForeignDropChain(family: "inet", table: "bt1", chain: "fwd")])
        #expect(state.taggedRules == [NFTables.TaggedRule(family: "ip", table: "filter", chain: "DOCKER-USER", handle: 9, comment: "berth-compat:berth")])
        #expect(RuleSet.renderCompat(table: "berth", chains: Array(state.dropChains.prefix(1)), bridges: ["brt-b", "brt-a"]) == """
            insert rule ip filter DOCKER-USER oifname { "brt-a", "brt-b" } accept comment "berth-compat:berth"
            insert rule ip filter DOCKER-USER iifname { "brt-a", "brt-b" } accept comment "berth-compat:berth"

            """)
    }

    @Test func tableNamePerRoot() {
        #expect(RuleSet.tableName(forRoot: "/var/lib/berth") == "berth")
        let t = RuleSet.tableName(forRoot: "/tmp/berth-test-bt1/root")
        #expect(t.hasPrefix("berth_") && t.count == 14)
        #expect(t != RuleSet.tableName(forRoot: "/tmp/berth-test-bt2/root"))
    }
}
