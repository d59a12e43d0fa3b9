// EBPF: eBPF programs as data and the bpf(2) calls that load, attach, find
// and detach them and fill their maps. The instruction and assembler types
// are pure; `BPFKernel` is the thin system-call side (through CBPF). Used by
// the runtime's cgroup v2 device filter and the networking's socket
// redirect. Never decides policy: what a program says is its caller's.

/// One eBPF instruction (`struct bpf_insn`): opcode, registers, offset, immediate.
public struct BPFInstruction: Sendable, Hashable, CustomStringConvertible {
    public var code: UInt8
    public var dst: UInt8
    public var src: UInt8
    public var offset: Int16
    public var imm: Int32

    public init(code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, imm: Int32 = 0) {
        self.code = code
        self.dst = dst
        self.src = src
        self.offset = offset
        self.imm = imm
    }

    /// The 8 bytes the kernel reads (little-endian `struct bpf_insn`:
    /// code, dst_reg in the low nibble, src_reg in the high one, off, imm).
    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset), k = UInt32(bitPattern: imm)
        return [code, (dst & 0xF) | (src << 4), UInt8(off & 0xFF), UInt8(off >> 8),
                UInt8(k & 0xFF), UInt8((k >> 8) & 0xFF), UInt8((k >> 16) & 0xFF), UInt8(k >> 24)]
    }

    public var description: String {
        "code=0x\(String(code, radix: 16)) dst=r\(dst) src=r\(src) off=\(offset) imm=\(imm)"
    }

    // Whole opcodes the device filter writes out (linux/bpf.h, linux/bpf_common.h).
    /// `dst = *(u32 *)(src + off)`
    public static let ldxW: UInt8 = 0x61
    /// `dst &= imm` (64-bit)
    public static let andK: UInt8 = 0x57
    /// `dst >>= imm` (64-bit, logical)
    public static let rshK: UInt8 = 0x77
    /// `dst = imm`
    public static let movK: UInt8 = 0xB7
    /// `dst = src`
    public static let movX: UInt8 = 0xBF
    /// `if dst == imm goto pc + 1 + off`
    public static let jeqK: UInt8 = 0x15
    /// `if dst != imm goto pc + 1 + off`
    public static let jneK: UInt8 = 0x55
    /// `if dst != src goto pc + 1 + off`
    public static let jneX: UInt8 = 0x5D
    /// `return r0`
    public static let exit: UInt8 = 0x95
}
