import Synchronization

/// Compiles a `SeccompProfile` into a classic-BPF program for x86_64
/// (pure: bytes out, 8 per `struct sock_filter`, native endianness).
///
/// Layout: check `arch` (anything but x86_64 → EPERM, so i386 and x32
/// entry points cannot bypass the rules), refuse x32 syscall numbers
/// (≥ 0x40000000), then one block per syscall: `jeq nr` → its rules in
/// order (argument checks on both 32-bit halves), each ending in `ret
/// action`, and `ret default` when none matched; finally `ret default`.
public enum SeccompCompiler {
    public static let auditArchX86_64: UInt32 = 0xC000_003E

    public struct CompileError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "seccomp: \(message)" }
    }

    /// One BPF instruction.
    public struct Instruction: Equatable, Sendable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32
    }

    // Classic BPF opcodes.
    static let ldAbs: UInt16 = 0x20, jeq: UInt16 = 0x15, jgt: UInt16 = 0x25, jge: UInt16 = 0x35
    static let ret: UInt16 = 0x06, andK: UInt16 = 0x54

    private enum Target: Equatable { case next, label(Int) }
    private struct Pending { var code: UInt16; var jt: Target; var jf: Target; var k: UInt32 }

    private final class Assembler {
        var code: [Pending] = []
        var labels: [Int: Int] = [:]
        var nextLabel = 0
        func label() -> Int { nextLabel += 1; return nextLabel }
        func place(_ l: Int) { labels[l] = code.count }
        func emit(_ c: UInt16, _ k: UInt32, jt: Target = .next, jf: Target = .next) {
            code.append(Pending(code: c, jt: jt, jf: jf, k: k))
        }
        func resolve() throws -> [Instruction] {
            try code.enumerated().map { i, p in
                func off(_ t: Target) throws -> UInt8 {
                    guard case .label(let l) = t else { return 0 }
                    guard let at = labels[l] else { throw CompileError(message: "internal: unplaced label") }
                    let d = at - (i + 1)
                    guard d >= 0 && d <= 255 else { throw CompileError(message: "jump too far (\(d)) in filter") }
                    return UInt8(d)
                }
                return Instruction(code: p.code, jt: try off(p.jt), jf: try off(p.jf), k: p.k)
            }
        }
    }

    /// Compiles `profile` for a process holding `capabilities` (rules gated on
    /// capabilities are kept or dropped here). Unknown syscall names are
    /// skipped, as libseccomp does for names the architecture lacks.
    public static func compile(_ profile: SeccompProfile, capabilities: CapabilitySet) throws -> [Instruction] {
        // Group applicable rules by syscall number, keeping rule order.
        var order: [UInt32] = []
        var bySyscall: [UInt32: [SeccompProfile.Rule]] = [:]
        for rule in profile.rules where rule.applies(to: capabilities) {
            for name in rule.names {
                guard let nr = SyscallTable.x86_64[name] else { continue }
                if bySyscall[nr] == nil { order.append(nr) }
                bySyscall[nr, default: []].append(rule)
            }
        }
        let a = Assembler()
        let deny = SeccompProfile.Action.errno(1).returnValue
        let defaultRet = profile.defaultAction.returnValue
        a.emit(ldAbs, 4)
        a.emit(jeq, auditArchX86_64, jt: .next, jf: .label(-1))
        a.emit(ldAbs, 0)
        a.emit(jge, 0x4000_0000, jt: .label(-1), jf: .next)
        for nr in order {
            let skip = a.label()
            a.emit(jeq, nr, jt: .next, jf: .label(skip))
            for rule in bySyscall[nr] ?? [] {
                let fail = a.label()
                for c in rule.conditions { try emitCondition(a, c, fail: fail) }
                a.emit(ret, rule.action.returnValue)
                a.place(fail)
                if !rule.conditions.isEmpty { /* fall through to the next rule */ }
            }
            a.emit(ret, defaultRet)
            a.place(skip)
        }
        a.emit(ret, defaultRet)
        a.place(-1)
        a.emit(ret, deny)
        return try a.resolve()
    }

    private static func emitCondition(_ a: Assembler, _ c: SeccompProfile.Condition, fail: Int) throws {
        guard c.index < 6 else { throw CompileError(message: "argument index \(c.index) out of range") }
        let lo = 16 + 8 * c.index, hi = lo + 4
        let pass = a.label()
        let vHi = UInt32(truncatingIfNeeded: c.value >> 32), vLo = UInt32(truncatingIfNeeded: c.value)
        switch c.op {
        case .equal:
            a.emit(ldAbs, hi); a.emit(jeq, vHi, jf: .label(fail))
            a.emit(ldAbs, lo); a.emit(jeq, vLo, jf: .label(fail))
        case .notEqual:
            a.emit(ldAbs, hi); a.emit(jeq, vHi, jf: .label(pass))
            a.emit(ldAbs, lo); a.emit(jeq, vLo, jt: .label(fail), jf: .next)
        case .maskedEqual:
            let wHi = UInt32(truncatingIfNeeded: c.valueTwo >> 32), wLo = UInt32(truncatingIfNeeded: c.valueTwo)
            a.emit(ldAbs, hi); a.emit(andK, vHi); a.emit(jeq, wHi, jf: .label(fail))
            a.emit(ldAbs, lo); a.emit(andK, vLo); a.emit(jeq, wLo, jf: .label(fail))
        case .greaterThan, .greaterOrEqual:
            a.emit(ldAbs, hi)
            a.emit(jgt, vHi, jt: .label(pass), jf: .next)
            a.emit(jeq, vHi, jf: .label(fail))
            a.emit(ldAbs, lo)
            a.emit(c.op == .greaterThan ? jgt : jge, vLo, jt: .label(pass), jf: .label(fail))
        case .lessThan, .lessOrEqual:
            a.emit(ldAbs, hi)
            a.emit(jge, vHi, jt: .next, jf: .label(pass))       // hi < vHi → pass
            a.emit(jeq, vHi, jf: .label(fail))                   // hi > vHi → fail
            a.emit(ldAbs, lo)
            if c.op == .lessThan {
                a.emit(jge, vLo, jt: .label(fail), jf: .label(pass))
            } else {
                a.emit(jgt, vLo, jt: .label(fail), jf: .label(pass))
            }
        }
        a.place(pass)
    }

    /// The program as bytes for `struct sock_fprog` (little-endian x86_64).
    public static func bytes(_ program: [Instruction]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(program.count * 8)
        for i in program {
            out += [UInt8(i.code & 0xff), UInt8(i.code >> 8), i.jt, i.jf,
                    UInt8(i.k & 0xff), UInt8((i.k >> 8) & 0xff), UInt8((i.k >> 16) & 0xff), UInt8(i.k >> 24)]
        }
        return out
    }
}

/// Compiled filters by (policy, capabilities): compiling the default
/// profile costs more than cloning, so each process compiles it once.
final class SeccompFilterCache: Sendable {
    static let shared = SeccompFilterCache()

    private struct Key: Hashable { var profile: SeccompProfile; var caps: UInt64 }
    private let cache = Mutex<[Key: [UInt8]]>([:])

    /// Empty for `.unconfined`.
    func filter(for policy: SeccompPolicy, capabilities: CapabilitySet) throws -> [UInt8] {
        let profile: SeccompProfile
        switch policy {
        case .unconfined: return []
        case .dockerDefault: profile = .dockerDefault
        case .profile(let p): profile = p
        }
        let key = Key(profile: profile, caps: capabilities.mask)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let program = try SeccompCompiler.compile(profile, capabilities: capabilities)
        guard program.count <= 4096 else {
            throw SeccompCompiler.CompileError(message: "filter has \(program.count) instructions (limit 4096)")
        }
        let bytes = SeccompCompiler.bytes(program)
        cache.withLock { $0[key] = bytes }
        return bytes
    }
}
