import CBPF

/// The eBPF registers: r0 result, r1–r5 arguments, r6–r9 kept across
/// calls, r10 the read-only frame pointer.
public enum BPFRegister: UInt8, Sendable {
    case r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
}

/// A small assembler for the few eBPF instructions berth's programs use,
/// with named jump targets resolved at the end. Pure.
public struct BPFAssembler {
    private var instructions: [BPFInstruction] = []
    private var labels: [String: Int] = [:]
    private var jumps: [(index: Int, label: String)] = []

    public init() {}

    // Opcode parts (uapi linux/bpf_common.h and linux/bpf.h).
    private static let ld: UInt8 = 0x00, ldx: UInt8 = 0x01, stx: UInt8 = 0x03, jmp: UInt8 = 0x05, alu64: UInt8 = 0x07
    private static let word: UInt8 = 0x00, doubleWord: UInt8 = 0x18, imm: UInt8 = 0x00, mem: UInt8 = 0x60
    private static let k: UInt8 = 0x00, x: UInt8 = 0x08
    private static let add: UInt8 = 0x00, and: UInt8 = 0x50, rsh: UInt8 = 0x70, mov: UInt8 = 0xb0
    private static let ja: UInt8 = 0x00, jeq: UInt8 = 0x10, jge: UInt8 = 0x30, jne: UInt8 = 0x50, call: UInt8 = 0x80, exit: UInt8 = 0x90

    private mutating func emit(_ i: BPFInstruction) { instructions.append(i) }

    /// dst = src
    public mutating func move(_ dst: BPFRegister, _ src: BPFRegister) {
        emit(BPFInstruction(code: Self.alu64 | Self.mov | Self.x, dst: dst.rawValue, src: src.rawValue))
    }

    /// dst = value
    public mutating func move(_ dst: BPFRegister, _ value: Int32) {
        emit(BPFInstruction(code: Self.alu64 | Self.mov | Self.k, dst: dst.rawValue, imm: value))
    }

    /// dst += value
    public mutating func add(_ dst: BPFRegister, _ value: Int32) {
        emit(BPFInstruction(code: Self.alu64 | Self.add | Self.k, dst: dst.rawValue, imm: value))
    }

    /// dst &= value
    public mutating func and(_ dst: BPFRegister, _ value: Int32) {
        emit(BPFInstruction(code: Self.alu64 | Self.and | Self.k, dst: dst.rawValue, imm: value))
    }

    /// dst >>= bits (logical)
    public mutating func shiftRight(_ dst: BPFRegister, _ bits: Int32) {
        emit(BPFInstruction(code: Self.alu64 | Self.rsh | Self.k, dst: dst.rawValue, imm: bits))
    }

    /// dst = *(u32 *)(src + offset)
    public mutating func load32(_ dst: BPFRegister, from src: BPFRegister, _ offset: Int16) {
        emit(BPFInstruction(code: Self.ldx | Self.mem | Self.word, dst: dst.rawValue, src: src.rawValue, offset: offset))
    }

    /// dst = *(u64 *)(src + offset)
    public mutating func load64(_ dst: BPFRegister, from src: BPFRegister, _ offset: Int16) {
        emit(BPFInstruction(code: Self.ldx | Self.mem | Self.doubleWord, dst: dst.rawValue, src: src.rawValue, offset: offset))
    }

    /// *(u32 *)(dst + offset) = src
    public mutating func store32(_ dst: BPFRegister, _ offset: Int16, _ src: BPFRegister) {
        emit(BPFInstruction(code: Self.stx | Self.mem | Self.word, dst: dst.rawValue, src: src.rawValue, offset: offset))
    }

    /// *(u64 *)(dst + offset) = src
    public mutating func store64(_ dst: BPFRegister, _ offset: Int16, _ src: BPFRegister) {
        emit(BPFInstruction(code: Self.stx | Self.mem | Self.doubleWord, dst: dst.rawValue, src: src.rawValue, offset: offset))
    }

    /// dst = the map with file descriptor `fd` (a two-slot instruction the
    /// kernel turns into the map's address at load).
    public mutating func loadMap(_ dst: BPFRegister, fd: Int32) {
        emit(BPFInstruction(code: Self.ld | Self.doubleWord | Self.imm, dst: dst.rawValue, src: UInt8(BPF_PSEUDO_MAP_FD), imm: fd))
        emit(BPFInstruction(code: 0))
    }

    /// goto label
    public mutating func jump(to label: String) {
        jumps.append((instructions.count, label))
        emit(BPFInstruction(code: Self.jmp | Self.ja))
    }

    /// if reg == value goto label
    public mutating func jump(if reg: BPFRegister, equals value: Int32, to label: String) {
        jumps.append((instructions.count, label))
        emit(BPFInstruction(code: Self.jmp | Self.jeq | Self.k, dst: reg.rawValue, imm: value))
    }

    /// if reg != value goto label
    public mutating func jump(if reg: BPFRegister, differsFrom value: Int32, to label: String) {
        jumps.append((instructions.count, label))
        emit(BPFInstruction(code: Self.jmp | Self.jne | Self.k, dst: reg.rawValue, imm: value))
    }

    /// if reg >= value (unsigned) goto label
    public mutating func jump(if reg: BPFRegister, atLeast value: Int32, to label: String) {
        jumps.append((instructions.count, label))
        emit(BPFInstruction(code: Self.jmp | Self.jge | Self.k, dst: reg.rawValue, imm: value))
    }

    /// if reg != other goto label
    public mutating func jump(if reg: BPFRegister, differsFrom other: BPFRegister, to label: String) {
        jumps.append((instructions.count, label))
        emit(BPFInstruction(code: Self.jmp | Self.jne | Self.x, dst: reg.rawValue, src: other.rawValue))
    }

    /// Calls a kernel helper (`bpf_func_id`); its result lands in r0 and
    /// r1–r5 are clobbered.
    public mutating func call(_ helper: bpf_func_id) {
        emit(BPFInstruction(code: Self.jmp | Self.call, imm: Int32(helper.rawValue)))
    }

    /// return r0
    public mutating func exit() {
        emit(BPFInstruction(code: Self.jmp | Self.exit))
    }

    /// Names the next instruction.
    public mutating func label(_ name: String) {
        labels[name] = instructions.count
    }

    /// The program, every jump pointed at its label (forward only: the
    /// verifier refuses loops berth has no use for).
    public func assemble() throws -> [BPFInstruction] {
        var out = instructions
        for j in jumps {
            guard let target = labels[j.label] else { throw BPFError("eBPF program: no label \(j.label)") }
            let distance = target - j.index - 1
            guard distance >= 0, distance <= Int(Int16.max) else {
                throw BPFError("eBPF program: jump to \(j.label) goes backwards or too far")
            }
            out[j.index].offset = Int16(distance)
        }
        return out
    }
}

/// A program berth could not build.
public struct BPFError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
