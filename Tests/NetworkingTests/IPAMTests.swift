import IPAddress
@testable import Networking
import Testing

@Suite struct IPAMTests {
    struct SubnetCase: CustomTestStringConvertible, Sendable {
        var name: String
        var routes: [String]
        var taken: [String]
        var expected: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        SubnetCase(name: "empty host takes the first pool /24", routes: [], taken: [], expected: "172.17.0.0/24"),
        SubnetCase(name: "docker0 /16 is skipped whole", routes: ["172.17.0.0/16"], taken: [], expected: "172.18.0.0/24"),
        SubnetCase(name: "berth networks are skipped", routes: [], taken: ["172.17.0.0/24", "172.17.1.0/24"], expected: "172.17.2.0/24"),
        SubnetCase(name: "a wide host route pushes to 192.168", routes: ["172.16.0.0/12"], taken: [], expected: "192.168.0.0/24"),
        SubnetCase(name: "default route is ignored", routes: ["0.0.0.0/0"], taken: [], expected: "172.17.0.0/24"),
        SubnetCase(name: "172 and 192.168 full falls to 10.x", routes: ["172.16.0.0/12", "192.168.0.0/16"], taken: [], expected: "10.0.0.0/24"),
    ])
    func choosesFreeSubnet(_ c: SubnetCase) throws {
        let plan = try IPAM.plan(IPAMRequest(), hostRoutes: c.routes.compactMap { IPv4Subnet($0) },
                                 taken: c.taken.compactMap { IPv4Subnet($0) })
        #expect(plan.subnet.description == c.expected)
        #expect(plan.gateway == IPv4Address(plan.subnet.network.value + 1))
        #expect(plan.loopbackAlias == IPv4Address(plan.subnet.broadcast.value - 1))
    }

    @Test func honoursComposeIPAMConfig() throws {
        let req = IPAMRequest(subnet: IPv4Subnet("10.5.0.0/16"), gateway: IPv4Address("10.5.0.254"), ipRange: IPv4Subnet("10.5.3.0/24"))
        let plan = try IPAM.plan(req, hostRoutes: [], taken: [])
        #expect(plan.subnet.description == "10.5.0.0/16")
        #expect(plan.gateway.description == "10.5.0.254")
        let a = try IPAM.allocate(in: plan, used: [])
        #expect(a.description == "10.5.3.0")
        let b = try IPAM.allocate(in: plan, used: [a])
        #expect(b.description == "10.5.3.1")
    }

    @Test func allocatesLowestFreeSkippingReserved() throws {
        let plan = try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("172.30.0.0/24")), hostRoutes: [], taken: [])
        #expect(try IPAM.allocate(in: plan, used: []).description == "172.30.0.2")
        let used: Set = [IPv4Address(172, 30, 0, 2), IPv4Address(172, 30, 0, 3)]
        #expect(try IPAM.allocate(in: plan, used: used).description == "172.30.0.4")
        // Released address comes back.
        #expect(try IPAM.allocate(in: plan, used: [IPv4Address(172, 30, 0, 3)]).description == "172.30.0.2")
    }

    struct StaticCase: CustomTestStringConvertible, Sendable {
        var name: String
        var address: String
        var error: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        StaticCase(name: "free address in subnet", address: "172.30.0.50", error: nil),
        StaticCase(name: "outside subnet", address: "10.0.0.5", error: "address 10.0.0.5 is not in the network's subnet 172.30.0.0/24"),
        StaticCase(name: "gateway", address: "172.30.0.1", error: "address 172.30.0.1 is reserved on subnet 172.30.0.0/24 (network, gateway or broadcast)"),
        StaticCase(name: "taken", address: "172.30.0.9", error: "address 172.30.0.9 is already in use"),
    ])
    func staticAddress(_ c: StaticCase) throws {
        let plan = try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("172.30.0.0/24")), hostRoutes: [], taken: [])
        let requested = try #require(IPv4Address(c.address))
        if let error = c.error {
            #expect(throws: NetworkError(error)) { try IPAM.allocate(in: plan, used: [IPv4Address(172, 30, 0, 9)], requested: requested) }
        } else {
            #expect(try IPAM.allocate(in: plan, used: [IPv4Address(172, 30, 0, 9)], requested: requested) == requested)
        }
    }

    @Test func rejectsOverlapsAndBadGateways() {
        #expect(throws: NetworkError("subnet 172.17.0.0/16 overlaps berth network subnet 172.17.5.0/24")) {
            try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("172.17.0.0/16")), hostRoutes: [], taken: [IPv4Subnet("172.17.5.0/24")!])
        }
        #expect(throws: NetworkError("gateway 10.1.0.1 is not a host address of subnet 10.0.0.0/24")) {
            try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("10.0.0.0/24"), gateway: IPv4Address("10.1.0.1")), hostRoutes: [], taken: [])
        }
        #expect(throws: NetworkError("ip range 10.0.1.0/24 is not inside subnet 10.0.0.0/24")) {
            try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("10.0.0.0/24"), ipRange: IPv4Subnet("10.0.1.0/24")), hostRoutes: [], taken: [])
        }
    }

    @Test func ipv6UsesULAFromSeedAndIPv4HostPart() throws {
        let plan = try IPAM.plan(IPAMRequest(subnet: IPv4Subnet("172.30.0.0/24"), enableIPv6: true), hostRoutes: [], taken: [],
                                 seed: [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde])
        #expect(plan.subnet6?.description == "fd12:3456:789a:bcde::/64")
        #expect(plan.gateway6?.description == "fd12:3456:789a:bcde::1")
        #expect(IPAM.address6(in: plan, for: IPv4Address(172, 30, 0, 7))?.description == "fd12:3456:789a:bcde::8")
    }

    @Test func parsesProcNetRoute() {
        let text = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
        eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
        docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
        """
        #expect(IPAM.parseRoutes(text).map(\.description) == ["192.0.2.0/24", "172.17.0.0/16"])
    }

    @Test func addressText() {
        #expect(IPv6Address("fd00:1::2")?.description == "fd00:1::2")
        #expect(IPv6Address("::1")?.description == "::1")
        #expect(IPv6Address("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPv6Address("1::2::3") == nil)
        #expect(IPv4Address("256.1.1.1") == nil)
        #expect(IPv4Subnet("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(MACAddress.derived(from: IPv4Address(172, 17, 0, 2)).description == "02:42:ac:11:00:02")
    }
}
