@testable import Runtime

/// Runs a classic-BPF seccomp program on a synthetic `seccomp_data`, so the
/// compiler's output is checked by behaviour rather than by its bytes.
struct SeccompData {
    var nr: UInt32
    var arch: UInt32 = SeccompCompiler.auditArchX86_64
    var args: [UInt64] = [0, 0, 0, 0, 0, 0]

    func word(at offset: UInt32) -> UInt32 {
        switch offset {
        case 0: return nr
        case 4: return arch
        case 8, 12: return 0
        default:
            let i = Int((offset - 16) / 8)
            let v = args[i]
            return (offset - 16) % 8 == 0 ? UInt32(truncatingIfNeeded: v) : UInt32(truncatingIfNeeded: v >> 32)
        }
    }
}

enum BPF {
    struct Fault: Error {}

    static func run(_ program: [SeccompCompiler.Instruction], _ data: SeccompData) throws -> UInt32 {
        var a: UInt32 = 0
        var pc = 0
        var steps = 0
        while pc < program.count {
            steps += 1
            if steps > 100_000 { throw Fault() }
            let ins = program[pc]
            switch ins.code {
            case 0x20: a = data.word(at: ins.k); pc += 1
            case 0x54: a &= ins.k; pc += 1
            case 0x15: pc += 1 + Int(a == ins.k ? ins.jt : ins.jf)
            case 0x25: pc += 1 + Int(a > ins.k ? ins.jt : ins.jf)
            case 0x35: pc += 1 + Int(a >= ins.k ? ins.jt : ins.jf)
            case 0x06: return ins.k
            default: throw Fault()
            }
        }
        throw Fault()
    }
}
