import CBPF
import IPAddress
@testable import Networking
import Testing

@Suite struct SocketRedirectTests {
    struct EncodingCase: CustomTestStringConvertible, Sendable {
        var name: String
        var instruction: BPFInstruction
        var bytes: [UInt8]
        var testDescription: String { name }
    }

    /// Byte forms as the kernel's verifier log prints them (opcode first).
    static func one(_ build: (inout BPFAssembler) -> Void) -> BPFInstruction {
        var a = BPFAssembler()
        build(&a)
        return (try? a.assemble())?.first ?? BPFInstruction(code: 0xff)
    }

    @Test(arguments: [
        EncodingCase(name: "r6 = r1", instruction: one { $0.move(.r6, .r1) }, bytes: [0xbf, 0x16, 0, 0, 0, 0, 0, 0]),
        EncodingCase(name: "r0 = 1", instruction: one { $0.move(.r0, 1) }, bytes: [0xb7, 0x00, 0, 0, 1, 0, 0, 0]),
        EncodingCase(name: "r2 += -16", instruction: one { $0.add(.r2, -16) }, bytes: [0x07, 0x02, 0, 0, 0xf0, 0xff, 0xff, 0xff]),
        EncodingCase(name: "r2 = *(u32 *)(r6 + 32)", instruction: one { $0.load32(.r2, from: .r6, 32) }, bytes: [0x61, 0x62, 32, 0, 0, 0, 0, 0]),
        EncodingCase(name: "*(u32 *)(r10 - 8) = r2", instruction: one { $0.store32(.r10, -8, .r2) }, bytes: [0x63, 0x2a, 0xf8, 0xff, 0, 0, 0, 0]),
        EncodingCase(name: "*(u64 *)(r10 - 16) = r0", instruction: one { $0.store64(.r10, -16, .r0) }, bytes: [0x7b, 0x0a, 0xf0, 0xff, 0, 0, 0, 0]),
        EncodingCase(name: "call bpf_get_netns_cookie", instruction: one { $0.call(BPF_FUNC_get_netns_cookie) }, bytes: [0x85, 0, 0, 0, 122, 0, 0, 0]),
        EncodingCase(name: "exit", instruction: one { $0.exit() }, bytes: [0x95, 0, 0, 0, 0, 0, 0, 0]),
        EncodingCase(name: "r1 = map fd 7 (first slot)", instruction: one { $0.loadMap(.r1, fd: 7) }, bytes: [0x18, 0x11, 0, 0, 7, 0, 0, 0]),
    ])
    func instructionsEncodeAsTheKernelReadsThem(_ c: EncodingCase) {
        #expect(c.instruction.bytes == c.bytes)
    }

    @Test func jumpsLandOnTheirLabels() throws {
        var a = BPFAssembler()
        a.jump(if: .r2, differsFrom: 1, to: "end")
        a.loadMap(.r1, fd: 3)          // two slots
        a.jump(if: .r0, equals: 0, to: "end")
        a.jump(if: .r2, differsFrom: .r3, to: "next")
        a.label("next")
        a.label("end")
        a.exit()
        let p = try a.assemble()
        #expect(p.count == 6)
        #expect(p.map(\.offset) == [4, 0, 0, 1, 0, 0])
        #expect(p[0].bytes == [0x55, 0x02, 4, 0, 1, 0, 0, 0])
        #expect(p[4].bytes == [0x5d, 0x32, 0, 0, 0, 0, 0, 0])
    }

    @Test func unknownAndBackwardLabelsAreRefused() {
        var unknown = BPFAssembler()
        unknown.jump(if: .r0, equals: 0, to: "nowhere")
        #expect(throws: NetworkError("eBPF program: no label nowhere")) { try unknown.assemble() }
        var backward = BPFAssembler()
        backward.label("top")
        backward.move(.r0, 1)
        backward.jump(if: .r0, equals: 0, to: "top")
        #expect(throws: NetworkError("eBPF program: jump to top goes backwards or too far")) { try backward.assemble() }
    }

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
        let maps = p.filter { $0.code == 0x18 }.map(\.immediate)
        #expect(maps == (which == "connect4" ? [11, 12] : [12]))
        let contextWrites = p.filter { $0.code == 0x63 && $0.dst == 6 }.map(\.offset)
        #expect(contextWrites == [4, 24])
    }

    struct EntryCase: CustomTestStringConvertible, Sendable {
        var name: String
        var binding: String
        var proto: PortProtocol = .tcp
        var expected: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        EntryCase(name: "every address: on 127.0.0.1", binding: "0.0.0.0", expected: "127.0.0.1:8000->172.18.0.2:80"),
        EntryCase(name: "127.0.0.1 itself", binding: "127.0.0.1", expected: "127.0.0.1:8000->172.18.0.2:80"),
        EntryCase(name: "another loopback address", binding: "127.0.0.2", expected: "127.0.0.2:8000->172.18.0.2:80"),
        EntryCase(name: "UDP stays with NAT", binding: "0.0.0.0", proto: .udp, expected: nil),
        EntryCase(name: "a host address stays with NAT", binding: "192.168.1.5", expected: nil),
        EntryCase(name: "IPv6 stays with NAT", binding: "::", expected: nil),
    ])
    func entriesCoverTCPOnTheLoopbackOnly(_ c: EntryCase) throws {
        let ip = try #require(HostAddress(c.binding))
        let port = RulePort(bridge: "brt-aaaa1111", loopbackAlias: IPv4Address(172, 18, 0, 254), containerIP: IPv4Address(172, 18, 0, 2),
                            binding: PortBinding(hostIP: ip, hostPort: 8000, containerPort: 80, proto: c.proto))
        #expect(RedirectEntry.entries(for: [port]).map(\.description) == (c.expected.map { [$0] } ?? []))
    }

    @Test func keysAndValuesAreLaidOutAsTheProgramReadsThem() {
        let e = RedirectEntry(frontend: IPv4Address(127, 0, 0, 1), frontendPort: 8000, backend: IPv4Address(172, 18, 0, 2), backendPort: 80)
        #expect(e.key(netns: 0x0102_0304_0506_0708) == [8, 7, 6, 5, 4, 3, 2, 1, 127, 0, 0, 1, 0x1f, 0x40, 0, 0])
        #expect(e.value == [172, 18, 0, 2, 0, 80, 0, 0])
        #expect(e.key(netns: 1).count == Int(RedirectPrograms.portsKeySize))
        #expect(e.value.count == Int(RedirectPrograms.portsValueSize))
    }

    @Test(arguments: [("berth", "brt4c", "brtr"), ("berth_1a2b3c4d", "brt4c_1a2b3c4d", "brtr_1a2b3c4d")])
    func namesFollowTheTableAndFitTheKernelsSixteenBytes(_ table: String, _ connect: String, _ reverse: String) {
        let r = SocketRedirect(table: table)
        #expect(r.connectName == connect && r.reverseName == reverse)
        for n in [r.connectName, r.getpeernameName, r.portsName, r.reverseName] { #expect(n.utf8.count <= 15) }
    }
}
