import CBPF
import EBPF
import Testing

@Suite struct BPFAssemblerTests {
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
        EncodingCase(name: "goto +0", instruction: one { $0.jump(to: "x"); $0.label("x") }, bytes: [0x05, 0, 0, 0, 0, 0, 0, 0]),
        EncodingCase(name: "r2 &= 255", instruction: one { $0.and(.r2, 0xff) }, bytes: [0x57, 0x02, 0, 0, 0xff, 0, 0, 0]),
        EncodingCase(name: "r2 >>= 16", instruction: one { $0.shiftRight(.r2, 16) }, bytes: [0x77, 0x02, 0, 0, 16, 0, 0, 0]),
        EncodingCase(name: "if r2 >= 224 goto +0", instruction: one { $0.jump(if: .r2, atLeast: 224, to: "x"); $0.label("x") },
                     bytes: [0x35, 0x02, 0, 0, 224, 0, 0, 0]),
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
        #expect(throws: BPFError("eBPF program: no label nowhere")) { try unknown.assemble() }
        var backward = BPFAssembler()
        backward.label("top")
        backward.move(.r0, 1)
        backward.jump(if: .r0, equals: 0, to: "top")
        #expect(throws: BPFError("eBPF program: jump to top goes backwards or too far")) { try backward.assemble() }
    }
}
