import EBPF

/// A device rule the filter cannot express.
public struct DeviceFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var reason: String
    public var description: String { "device rule \"\(rule)\": \(reason)" }
}

/// Translates devices-cgroup rules into a `BPF_PROG_TYPE_CGROUP_DEVICE`
/// program: the cgroup v2 replacement for v1's devices.allow/devices.deny
/// (pure; `DeviceFilterLoader` loads and attaches it).
///
/// Semantics are v1's: an `a` rule resets the list (deny-all or allow-all,
/// whatever its major/minor/access say, as the kernel parses `a`), later
/// rules are exceptions to it, and when several rules match the last one
/// wins. A request matches a rule when its type matches, its major and
/// minor match (nil = any) and every access bit it asks for (an open for
/// reading and writing asks for both) is in the rule's access.
///
/// The program reads `struct bpf_cgroup_dev_ctx` { access_type = access
/// << 16 | type, major, minor } into r2 (type), r3 (access), r4 (major),
/// r5 (minor), then tests the rules from last to first; the first match
/// returns 1 (allow) or 0 (deny); no match returns the list's default.
/// Neighbouring rules that differ only in the minor share one block.
public enum DeviceFilter {
    /// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`.
    public static let typeBlock: Int32 = 1
    public static let typeChar: Int32 = 2
    /// `BPF_DEVCG_ACC_MKNOD`, `_READ`, `_WRITE`.
    public static let accessMknod: Int32 = 1
    public static let accessRead: Int32 = 2
    public static let accessWrite: Int32 = 4

    /// Whether `rules` allow every device (privileged): no program is needed.
    public static func allowsEverything(_ rules: [DeviceRule]) -> Bool {
        guard let reset = rules.lastIndex(where: { $0.type == "a" }), rules[reset].allow else { return false }
        return rules[(reset + 1)...].allSatisfy(\.allow)
    }

    /// The program for `rules` (Docker's default list, `devices:`/`--device`
    /// entries appended, or `privileged`'s allow-all).
    public static func program(for rules: [DeviceRule]) throws(DeviceFilterError) -> [BPFInstruction] {
        var defaultAllow = false
        var exceptions = rules[...]
        if let reset = rules.lastIndex(where: { $0.type == "a" }) {
            defaultAllow = rules[reset].allow
            exceptions = rules[(reset + 1)...]
        }
        typealias I = BPFInstruction
        var p: [I] = [
            I(code: I.ldxW, dst: 2, src: 1, offset: 0),
            I(code: I.andK, dst: 2, imm: 0xFFFF),
            I(code: I.ldxW, dst: 3, src: 1, offset: 0),
            I(code: I.rshK, dst: 3, imm: 16),
            I(code: I.ldxW, dst: 4, src: 1, offset: 4),
            I(code: I.ldxW, dst: 5, src: 1, offset: 8),
        ]
        // Last rule first. A rule with the default's action matters only when
        // an earlier rule with the opposite action could match the same request.
        var tested: [Test] = []
        for i in exceptions.indices.reversed() {
            let test = try Test(exceptions[i])   // validates every rule, tested or not
            if test.allow == defaultAllow, !exceptions[..<i].contains(where: { $0.allow != defaultAllow }) { continue }
            tested.append(test)
        }
        // Neighbours differing only in the minor share one block (c 1:3, 1:5, 1:7 …):
        // the verifier's cost grows with the program's length.
        var start = tested.startIndex
        while start < tested.endIndex {
            var end = start + 1
            while end < tested.endIndex, tested[start].minor != nil, tested[end].minor != nil,
                  tested[end].sameExceptMinor(tested[start]) { end += 1 }
            p += block(for: tested[start..<end])
            start = end
        }
        p += [I(code: I.movK, dst: 0, imm: defaultAllow ? 1 : 0), I(code: I.exit)]
        return p
    }

    /// One validated rule in the program's terms.
    private struct Test {
        var allow: Bool
        var type: Int32
        var access: Int32
        var major: Int32?
        var minor: Int32?

        init(_ rule: DeviceRule) throws(DeviceFilterError) {
            allow = rule.allow
            switch rule.type {
            case "c": type = typeChar
            case "b": type = typeBlock
            default: throw DeviceFilterError(rule: rule.description, reason: "type must be a, b or c")
            }
            access = 0
            for ch in rule.access {
                switch ch {
                case "r": access |= accessRead
                case "w": access |= accessWrite
                case "m": access |= accessMknod
                default: throw DeviceFilterError(rule: rule.description, reason: "access must be made of r, w and m")
                }
            }
            if access == 0 { throw DeviceFilterError(rule: rule.description, reason: "empty access") }
            func number(_ n: Int64?) throws(DeviceFilterError) -> Int32? {
                guard let n else { return nil }
                guard let value = Int32(exactly: n), value >= 0 else {
                    throw DeviceFilterError(rule: rule.description, reason: "device number \(n) out of range")
                }
                return value
            }
            major = try number(rule.major)
            minor = try number(rule.minor)
        }

        func sameExceptMinor(_ o: Test) -> Bool {
            allow == o.allow && type == o.type && access == o.access && major == o.major
        }
    }

    /// Tests for one rule, or for rules that differ only in their (set)
    /// minor, each failing test jumping past the block, then `r0 = allow; exit`.
    private static func block(for group: ArraySlice<Test>) -> [BPFInstruction] {
        typealias I = BPFInstruction
        guard let rule = group.first else { return [] }
        var tests: [I] = [I(code: I.jneK, dst: 2, imm: rule.type)]
        if rule.access != accessRead | accessWrite | accessMknod {
            tests += [I(code: I.movX, dst: 1, src: 3), I(code: I.andK, dst: 1, imm: rule.access), I(code: I.jneX, dst: 1, src: 3)]
        }
        if let major = rule.major { tests.append(I(code: I.jneK, dst: 4, imm: major)) }
        // Every minor but the last: equal → the action; the last: different → past.
        let minors = group.compactMap(\.minor)
        for minor in minors.dropLast() { tests.append(I(code: I.jeqK, dst: 5, imm: minor)) }
        if let last = minors.last { tests.append(I(code: I.jneK, dst: 5, imm: last)) }
        let action = tests.count, past = tests.count + 2
        for i in tests.indices {
            switch tests[i].code {
            case I.jneK, I.jneX: tests[i].offset = Int16(past - (i + 1))
            case I.jeqK: tests[i].offset = Int16(action - (i + 1))
            default: break
            }
        }
        return tests + [I(code: I.movK, dst: 0, imm: rule.allow ? 1 : 0), I(code: I.exit)]
    }

    /// The program as the byte array `BPF_PROG_LOAD` takes.
    public static func bytes(_ program: [BPFInstruction]) -> [UInt8] {
        program.flatMap(\.bytes)
    }
}
