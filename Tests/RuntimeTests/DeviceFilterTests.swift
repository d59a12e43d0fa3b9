@testable import Runtime
import Testing

/// Runs a cgroup device eBPF program on one request, decoding the bytes the
/// kernel would get, so the generator is checked by behaviour. Returns nil
/// for anything the kernel's verifier would reject (unknown opcode, a read
/// through a register that is not the context, a backward or out-of-range
/// jump, falling off the end).
enum DeviceProgramInterpreter {
    static func run(_ bytes: [UInt8], type: UInt32, major: UInt32, minor: UInt32, access: UInt32) -> UInt64? {
        guard bytes.count % 8 == 0 else { return nil }
        let count = bytes.count / 8
        let ctx: [UInt32] = [access << 16 | type, major, minor]
        var r = [UInt64](repeating: 0, count: 11)
        var isContext = [Bool](repeating: false, count: 11)
        isContext[1] = true
        var pc = 0
        while pc < count {
            let b = bytes[(pc * 8)..<(pc * 8 + 8)].map { $0 }
            let code = b[0], dst = Int(b[1] & 0xF), src = Int(b[1] >> 4)
            let off = Int(Int16(bitPattern: UInt16(b[2]) | UInt16(b[3]) << 8))
            let imm = Int32(bitPattern: UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
            let k = UInt64(bitPattern: Int64(imm))   // sign-extended, as the kernel does
            guard dst <= 10, src <= 10 else { return nil }
            var next = pc + 1
            switch code {
            case 0x61:
                guard isContext[src], off >= 0, off % 4 == 0, off / 4 < ctx.count else { return nil }
                r[dst] = UInt64(ctx[off / 4])
                isContext[dst] = false
            case 0x57: r[dst] &= k; isContext[dst] = false
            case 0x77: guard imm >= 0, imm < 64 else { return nil }; r[dst] >>= UInt64(imm); isContext[dst] = false
            case 0xB7: r[dst] = k; isContext[dst] = false
            case 0xBF: r[dst] = r[src]; isContext[dst] = isContext[src]
            case 0x55, 0x5D:
                guard off >= 0 else { return nil }
                let other = code == 0x55 ? k : r[src]
                if r[dst] != other { next = pc + 1 + off }
            case 0x15:
                guard off >= 0 else { return nil }
                if r[dst] == k { next = pc + 1 + off }
            case 0x95: return r[0]
            default: return nil
            }
            guard next <= count else { return nil }
            pc = next
        }
        return nil
    }
}

private func rule(_ allow: Bool, _ type: Character, _ major: Int64?, _ minor: Int64?, _ access: String) -> DeviceRule {
    DeviceRule(allow: allow, type: type, major: major, minor: minor, access: access)
}
private func req(_ type: Character, _ major: UInt32, _ minor: UInt32, _ access: String, _ allowed: Bool) -> DeviceFilterTests.Request {
    DeviceFilterTests.Request(type: type, major: major, minor: minor, access: access, allowed: allowed)
}

@Suite struct DeviceFilterTests {
    struct Request: Sendable, CustomStringConvertible {
        var type: Character
        var major: UInt32
        var minor: UInt32
        var access: String
        var allowed: Bool
        var description: String { "\(type) \(major):\(minor) \(access) → \(allowed ? "allow" : "deny")" }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rules: [DeviceRule]
        var requests: [Request]
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "Docker default", rules: DeviceRule.dockerDefault, requests: [
            req("c", 1, 3, "rw", true), req("c", 1, 3, "m", true), req("c", 1, 9, "r", true),
            req("c", 5, 2, "rw", true), req("c", 136, 7, "rw", true), req("c", 10, 200, "rw", true),
            req("c", 1, 1, "r", false), req("c", 1, 1, "m", true), req("c", 10, 229, "rw", false),
            req("b", 7, 0, "r", false), req("b", 7, 0, "m", true), req("c", 42, 42, "w", false),
            req("b", 1, 3, "r", false), req("c", 4, 1, "rw", false),
        ]),
        Case(name: "Docker default plus a read-only --device", rules: DeviceRule.dockerDefault + [rule(true, "c", 42, 42, "r")],
             requests: [req("c", 42, 42, "r", true), req("c", 42, 42, "w", false), req("c", 42, 42, "rw", false),
                        req("c", 42, 43, "r", false), req("c", 1, 3, "rw", true)]),
        Case(name: "privileged allows everything", rules: [rule(true, "a", nil, nil, "rwm")],
             requests: [req("c", 1, 1, "rw", true), req("b", 8, 0, "rwm", true)]),
        Case(name: "allow-all with a denied major", rules: [rule(true, "a", nil, nil, "rwm"), rule(false, "c", 1, nil, "rw")],
             requests: [req("c", 1, 1, "r", false), req("c", 1, 1, "m", true), req("c", 2, 1, "rw", true), req("b", 1, 1, "r", true)]),
        Case(name: "later allow re-opens one node", rules: [
            rule(true, "a", nil, nil, "rwm"), rule(false, "c", 1, nil, "rwm"), rule(true, "c", 1, 3, "rwm"),
        ], requests: [req("c", 1, 3, "rw", true), req("c", 1, 4, "r", false), req("c", 9, 9, "r", true)]),
        Case(name: "rules before the last reset are ignored", rules: [
            rule(true, "c", 1, 1, "rwm"), rule(false, "a", nil, nil, "rwm"), rule(true, "b", 8, nil, "r"),
        ], requests: [req("c", 1, 1, "r", false), req("b", 8, 1, "r", true), req("b", 8, 1, "w", false)]),
        Case(name: "groups stop at a different action or major", rules: [
            rule(false, "a", nil, nil, "rwm"), rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 5, "rw"),
            rule(false, "c", 1, 7, "rwm"), rule(true, "c", 1, 8, "rwm"), rule(true, "c", 2, 8, "rwm"), rule(true, "c", 2, nil, "r"),
        ], requests: [req("c", 1, 3, "rwm", true), req("c", 1, 5, "m", false), req("c", 1, 5, "rw", true),
                      req("c", 1, 8, "r", true), req("c", 2, 8, "w", true), req("c", 2, 9, "r", true), req("c", 2, 9, "w", false)]),
        Case(name: "empty list denies", rules: [], requests: [req("c", 1, 3, "r", false)]),
    ]

    /// Reference semantics written directly: the last rule that matches wins;
    /// an `a` rule matches everything; no match = deny.
    static func expected(_ rules: [DeviceRule], _ r: Request) -> Bool {
        for rule in rules.reversed() {
            if rule.type == "a" { return rule.allow }
            guard rule.type == r.type, rule.major.map({ $0 == r.major }) ?? true,
                  rule.minor.map({ $0 == r.minor }) ?? true, r.access.allSatisfy({ rule.access.contains($0) }) else { continue }
            return rule.allow
        }
        return false
    }

    static func run(_ bytes: [UInt8], _ r: Request) -> UInt64? {
        let type: UInt32 = r.type == "c" ? 2 : 1
        var access: UInt32 = 0
        if r.access.contains("m") { access |= 1 }
        if r.access.contains("r") { access |= 2 }
        if r.access.contains("w") { access |= 4 }
        return DeviceProgramInterpreter.run(bytes, type: type, major: r.major, minor: r.minor, access: access)
    }

    @Test(arguments: cases) func programDecidesLikeTheRules(_ c: Case) throws {
        let bytes = DeviceFilter.bytes(try DeviceFilter.program(for: c.rules))
        for r in c.requests {
            #expect(Self.expected(c.rules, r) == r.allowed, "reference model disagrees with the table: \(r)")
            #expect(Self.run(bytes, r) == (r.allowed ? 1 : 0), "\(r)")
        }
    }

    /// Every (type, major, minor, access) over a small grid, for rule lists
    /// mixing allow and deny: interpreter and reference agree everywhere.
    @Test(arguments: cases) func programMatchesTheReferenceOnAGrid(_ c: Case) throws {
        let bytes = DeviceFilter.bytes(try DeviceFilter.program(for: c.rules))
        for type: Character in ["c", "b"] {
            for major: UInt32 in [0, 1, 5, 8, 10, 42, 136] {
                for minor: UInt32 in [0, 1, 2, 3, 4, 9, 42, 200, 229] {
                    for access in ["m", "r", "w", "rw", "rwm"] {
                        let r = req(type, major, minor, access, false)
                        let want: UInt64 = Self.expected(c.rules, r) ? 1 : 0
                        #expect(Self.run(bytes, r) == want, "\(c.name): \(r.type) \(major):\(minor) \(access)")
                    }
                }
            }
        }
    }

    @Test func encodingOfASmallProgram() throws {
        let p = try DeviceFilter.program(for: [rule(false, "a", nil, nil, "rwm"), rule(true, "c", 1, 3, "rwm")])
        let words = p.map { $0.bytes }
        #expect(words.count == 13)
        #expect(words[0] == [0x61, 0x12, 0, 0, 0, 0, 0, 0])          // r2 = *(u32 *)(r1 + 0)
        #expect(words[1] == [0x57, 0x02, 0, 0, 0xFF, 0xFF, 0, 0])    // r2 &= 0xffff
        #expect(words[3] == [0x77, 0x03, 0, 0, 16, 0, 0, 0])         // r3 >>= 16
        #expect(words[5] == [0x61, 0x15, 8, 0, 0, 0, 0, 0])          // r5 = *(u32 *)(r1 + 8)
        #expect(words[6] == [0x55, 0x02, 4, 0, 2, 0, 0, 0])          // if r2 != CHAR goto +4
        #expect(words[7] == [0x55, 0x04, 3, 0, 1, 0, 0, 0])          // if r4 != 1 goto +3
        #expect(words[8] == [0x55, 0x05, 2, 0, 3, 0, 0, 0])          // if r5 != 3 goto +2
        #expect(words[9] == [0xB7, 0x00, 0, 0, 1, 0, 0, 0])          // r0 = 1
        #expect(words[10] == [0x95, 0, 0, 0, 0, 0, 0, 0])            // exit
        #expect(words[11] == [0xB7, 0x00, 0, 0, 0, 0, 0, 0])         // r0 = 0
    }

    @Test func rulesDifferingOnlyInTheMinorShareABlock() throws {
        let p = try DeviceFilter.program(for: [rule(false, "a", nil, nil, "rwm"), rule(true, "c", 1, 3, "rwm"),
                                               rule(true, "c", 1, 5, "rwm"), rule(true, "c", 1, 9, "rwm")])
        // Last rule first: if r2 != CHAR → past; if r4 != 1 → past; r5 == 9 → allow; r5 == 5 → allow; r5 != 3 → past
        #expect(p[6..<13].map { $0.bytes } == [
            [0x55, 0x02, 6, 0, 2, 0, 0, 0], [0x55, 0x04, 5, 0, 1, 0, 0, 0],
            [0x15, 0x05, 2, 0, 9, 0, 0, 0], [0x15, 0x05, 1, 0, 5, 0, 0, 0], [0x55, 0x05, 2, 0, 3, 0, 0, 0],
            [0xB7, 0x00, 0, 0, 1, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0],
        ])
        #expect(p.count == 15)
        #expect(try DeviceFilter.program(for: DeviceRule.dockerDefault).count == 45)
    }

    @Test func partialAccessComparesTheRequestedBits() throws {
        let p = try DeviceFilter.program(for: [rule(false, "a", nil, nil, "rwm"), rule(true, "b", nil, nil, "m")])
        // if r2 != BLOCK; r1 = r3; r1 &= MKNOD; if r1 != r3 → skip
        #expect(p[6..<10].map { $0.bytes } == [
            [0x55, 0x02, 5, 0, 1, 0, 0, 0], [0xBF, 0x31, 0, 0, 0, 0, 0, 0],
            [0x57, 0x01, 0, 0, 1, 0, 0, 0], [0x5D, 0x31, 2, 0, 0, 0, 0, 0],
        ])
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var rule: DeviceRule
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadCase(name: "unknown type", rule: rule(true, "x", 1, 1, "r")),
        BadCase(name: "unknown access", rule: rule(true, "c", 1, 1, "rq")),
        BadCase(name: "empty access", rule: rule(true, "c", 1, 1, "")),
        BadCase(name: "major out of range", rule: rule(true, "c", 1 << 40, 1, "r")),
        BadCase(name: "negative minor", rule: rule(true, "c", 1, -2, "r")),
    ]) func invalidRulesAreRefused(_ c: BadCase) {
        #expect(throws: DeviceFilterError.self) { try DeviceFilter.program(for: [c.rule]) }
    }

    @Test func allowsEverythingOnlyForAnUnrestrictedReset() {
        #expect(DeviceFilter.allowsEverything([rule(true, "a", nil, nil, "rwm")]))
        #expect(!DeviceFilter.allowsEverything(DeviceRule.dockerDefault))
        #expect(!DeviceFilter.allowsEverything([rule(true, "a", nil, nil, "rwm"), rule(false, "c", 1, 1, "r")]))
        #expect(!DeviceFilter.allowsEverything([]))
    }
}
