import EBPF
import IPAddress
@testable import Networking
import Testing

@Suite struct SocketRedirectTests {
    /// The shape the kernel's verifier relies on: every path ends in
    /// `r0 = 1; exit` (allow the call), jumps stay inside, maps are the ones
    /// given, and the context is written only at user_ip4/user_port.
    @Test(arguments: ["connect4", "getpeername4"])
    func programsAllowAndWriteOnlyTheDestination(_ which: String) throws {
        let p = which == "connect4" ? try RedirectPrograms.connect4(ports: 11, reverse: 12)
                                    : try RedirectPrograms.getpeername4(reverse: 12)
        #expect(p.suffix(2).map(\.bytes) == [[0xb7, 0, 0, 0, 1, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0]])
        for (i, insn) in p.enumerated() where insn.code & 0x07 == 0x05 && insn.code & 0xf0 != 0x80 && insn.code & 0xf0 != 0x90 {
            #expect(i + 1 + Int(insn.offset) < p.count)
        }
        let maps = p.filter { $0.code == 0x18 }.map(\.imm)
        #expect(maps == (which == "connect4" ? [11, 11, 12] : [12]))
        let contextWrites = p.filter { $0.code == 0x63 && $0.dst == 6 }.map(\.offset)
        #expect(contextWrites == [4, 24])
    }

    struct EntryCase: CustomTestStringConvertible, Sendable {
        var name: String
        var binding: String
        var proto: PortProtocol = .tcp
        var nonlocalBind = false
        var expected: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        EntryCase(name: "every address: 127.0.0.1 and any other of the host's",
                  binding: "0.0.0.0", expected: ["127.0.0.1:8000->172.18.0.2:80", "0.0.0.0:8000->172.18.0.2:80"]),
        EntryCase(name: "127.0.0.1 itself", binding: "127.0.0.1", expected: ["127.0.0.1:8000->172.18.0.2:80"]),
        EntryCase(name: "another loopback address", binding: "127.0.0.2", expected: ["127.0.0.2:8000->172.18.0.2:80"]),
        EntryCase(name: "a host address", binding: "192.168.1.5", expected: ["192.168.1.5:8000->172.18.0.2:80"]),
        EntryCase(name: "UDP stays with NAT", binding: "0.0.0.0", proto: .udp, expected: []),
        EntryCase(name: "IPv6 stays with NAT", binding: "::", expected: []),
        EntryCase(name: "ip_nonlocal_bind: the loopback only", binding: "0.0.0.0", nonlocalBind: true,
                  expected: ["127.0.0.1:8000->172.18.0.2:80"]),
        EntryCase(name: "ip_nonlocal_bind: a host address stays with NAT", binding: "192.168.1.5", nonlocalBind: true, expected: []),
    ])
    func entriesCoverTCPOnTheHostsIPv4Addresses(_ c: EntryCase) throws {
        let ip = try #require(HostAddress(c.binding))
        let port = RulePort(bridge: "brt-aaaa1111", loopbackAlias: IPv4Address(172, 18, 0, 254), containerIP: IPv4Address(172, 18, 0, 2),
                            binding: PortBinding(hostIP: ip, hostPort: 8000, containerPort: 80, proto: c.proto))
        #expect(RedirectEntry.entries(for: [port], nonlocalBind: c.nonlocalBind).map(\.description) == c.expected)
    }

    @Test func keysAndValuesAreLaidOutAsTheProgramReadsThem() {
        let e = RedirectEntry(frontend: IPv4Address(127, 0, 0, 1), frontendPort: 8000, backend: IPv4Address(172, 18, 0, 2), backendPort: 80)
        #expect(e.key(netns: 0x0102_0304_0506_0708) == [8, 7, 6, 5, 4, 3, 2, 1, 127, 0, 0, 1, 0x1f, 0x40, 0, 0])
        #expect(e.value == [172, 18, 0, 2, 0, 80, 0, 0])
        #expect(e.key(netns: 1).count == Int(RedirectPrograms.portsKeySize))
        #expect(e.value.count == Int(RedirectPrograms.portsValueSize))
        // Any other address: the flag in the port word's upper half.
        var any = e
        any.frontend = IPv4Address(0, 0, 0, 0)
        #expect(any.key(netns: 1)[8..<16] == [0, 0, 0, 0, 0x1f, 0x40, 0, 0])
        #expect(any.value == [172, 18, 0, 2, 0, 80, 1, 0] && any.requiresLocalDestination)
        #expect(RedirectEntry(key: any.key(netns: 1), value: any.value) == any)
    }

    @Test(arguments: [("berth", "brt4a", "brtr"), ("berth_1a2b3c4d", "brt4a_1a2b3c4d", "brtr_1a2b3c4d")])
    func namesFollowTheTableAndFitTheKernelsSixteenBytes(_ table: String, _ connect: String, _ reverse: String) {
        let r = SocketRedirect(table: table)
        #expect(r.connectName == connect && r.reverseName == reverse)
        for n in [r.connectName, r.getpeernameName, r.portsName, r.reverseName] + r.formerNames { #expect(n.utf8.count <= 15) }
    }
}
