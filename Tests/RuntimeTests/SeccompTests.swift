@testable import Runtime
import Testing

@Suite struct SeccompCompilerTests {
    static let allow = SeccompProfile.Action.allow.returnValue
    static let eperm = SeccompProfile.Action.errno(1).returnValue
    static let enosys = SeccompProfile.Action.errno(38).returnValue

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var syscall: String
        var args: [UInt64] = [0, 0, 0, 0, 0, 0]
        var caps: [String] = []
        var expected: UInt32
        var testDescription: String { name }
    }

    static let defaultCases: [Case] = [
        Case(name: "read is allowed", syscall: "read", expected: allow),
        Case(name: "mount is EPERM", syscall: "mount", expected: eperm),
        Case(name: "mount with SYS_ADMIN", syscall: "mount", caps: ["SYS_ADMIN"], expected: allow),
        Case(name: "unshare is EPERM", syscall: "unshare", expected: eperm),
        Case(name: "setns is EPERM", syscall: "setns", expected: eperm),
        Case(name: "keyctl is EPERM even with SYS_ADMIN", syscall: "keyctl", caps: ["SYS_ADMIN"], expected: eperm),
        Case(name: "kexec_load is EPERM", syscall: "kexec_load", expected: eperm),
        Case(name: "bpf is EPERM", syscall: "bpf", expected: eperm),
        Case(name: "perf_event_open is EPERM", syscall: "perf_event_open", expected: eperm),
        Case(name: "open_by_handle_at is EPERM", syscall: "open_by_handle_at", expected: eperm),
        Case(name: "init_module is EPERM", syscall: "init_module", expected: eperm),
        Case(name: "reboot is EPERM", syscall: "reboot", expected: eperm),
        Case(name: "clock_settime is EPERM", syscall: "clock_settime", expected: eperm),
        Case(name: "fsopen is EPERM", syscall: "fsopen", expected: eperm),
        Case(name: "ptrace is allowed (kernel >= 4.8)", syscall: "ptrace", expected: allow),
        Case(name: "fork-style clone is allowed", syscall: "clone", args: [0x01200011, 0, 0, 0, 0, 0], expected: allow),
        Case(name: "thread clone is allowed", syscall: "clone", args: [0x003d0f00, 0, 0, 0, 0, 0], expected: allow),
        Case(name: "clone CLONE_NEWUSER is EPERM", syscall: "clone", args: [0x10000000 | 17, 0, 0, 0, 0, 0], expected: eperm),
        Case(name: "clone CLONE_NEWNS is EPERM", syscall: "clone", args: [0x00020000, 0, 0, 0, 0, 0], expected: eperm),
        Case(name: "clone CLONE_NEWNET with SYS_ADMIN", syscall: "clone", args: [0x40000000, 0, 0, 0, 0, 0], caps: ["SYS_ADMIN"], expected: allow),
        Case(name: "clone3 is ENOSYS", syscall: "clone3", expected: enosys),
        Case(name: "personality(PER_LINUX)", syscall: "personality", args: [0, 0, 0, 0, 0, 0], expected: allow),
        Case(name: "personality query", syscall: "personality", args: [0xffffffff, 0, 0, 0, 0, 0], expected: allow),
        Case(name: "personality(ADDR_NO_RANDOMIZE) is EPERM", syscall: "personality", args: [0x0040000, 0, 0, 0, 0, 0], expected: eperm),
        Case(name: "personality with high bits is EPERM", syscall: "personality", args: [0x1_0000_0008, 0, 0, 0, 0, 0], expected: eperm),
        Case(name: "socket(AF_INET) is allowed", syscall: "socket", args: [2, 1, 0, 0, 0, 0], expected: allow),
        Case(name: "socket(AF_VSOCK) is EPERM", syscall: "socket", args: [40, 1, 0, 0, 0, 0], expected: eperm),
        Case(name: "socket(AF_ALG) is EPERM", syscall: "socket", args: [38, 5, 0, 0, 0, 0], expected: eperm),
        Case(name: "io_uring_setup is EPERM", syscall: "io_uring_setup", expected: eperm),
    ]

    @Test(arguments: defaultCases) func dockerDefaultProfile(_ c: Case) throws {
        let caps = CapabilitySet.dockerDefault.mask | CapabilitySet(c.caps.compactMap { Capability(name: $0) }).mask
        let program = try SeccompCompiler.compile(.dockerDefault, capabilities: CapabilitySet(mask: caps))
        let nr = try #require(SyscallTable.x86_64[c.syscall])
        #expect(try BPF.run(program, SeccompData(nr: nr, args: c.args)) == c.expected)
    }

    @Test func foreignArchitecturesAndX32AreRefused() throws {
        let program = try SeccompCompiler.compile(.dockerDefault, capabilities: .dockerDefault)
        #expect(try BPF.run(program, SeccompData(nr: 0, arch: 0x4000_0003)) == Self.eperm)   // i386
        #expect(try BPF.run(program, SeccompData(nr: 0x4000_0000 | 0)) == Self.eperm)       // x32 read
        #expect(program.count < 4096)
    }

    struct OpCase: CustomTestStringConvertible, Sendable {
        var name: String
        var op: SeccompProfile.Operator
        var value: UInt64
        var valueTwo: UInt64 = 0
        var testDescription: String { name }

        func reference(_ arg: UInt64) -> Bool {
            switch op {
            case .equal: arg == value
            case .notEqual: arg != value
            case .lessThan: arg < value
            case .lessOrEqual: arg <= value
            case .greaterThan: arg > value
            case .greaterOrEqual: arg >= value
            case .maskedEqual: arg & value == valueTwo
            }
        }
    }

    static let opCases = [
        OpCase(name: "EQ small", op: .equal, value: 5),
        OpCase(name: "EQ 64-bit", op: .equal, value: 0x1_0000_0005),
        OpCase(name: "NE", op: .notEqual, value: 0x1_0000_0005),
        OpCase(name: "LT", op: .lessThan, value: 0x1_0000_0005),
        OpCase(name: "LE", op: .lessOrEqual, value: 0x1_0000_0005),
        OpCase(name: "GT", op: .greaterThan, value: 0x1_0000_0005),
        OpCase(name: "GE", op: .greaterOrEqual, value: 0x1_0000_0005),
        OpCase(name: "MASKED_EQ", op: .maskedEqual, value: 0xF_0000_00F0, valueTwo: 0x1_0000_0010),
    ]

    /// Every operator agrees with plain Swift comparison on values around
    /// both 32-bit halves of the operand.
    @Test(arguments: opCases) func operatorsCompareAll64Bits(_ c: OpCase) throws {
        let profile = SeccompProfile(defaultAction: .errno(1), rules: [
            .init(["getpid"], .allow, conditions: [.init(index: 2, value: c.value, valueTwo: c.valueTwo, op: c.op)]),
        ])
        let program = try SeccompCompiler.compile(profile, capabilities: CapabilitySet())
        let nr = try #require(SyscallTable.x86_64["getpid"])
        let probes: [UInt64] = [0, 4, 5, 6, 0x10, 0xF0, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0004, 0x1_0000_0005,
                                0x1_0000_0006, 0x1_0000_0010, 0x2_0000_0000, 0x2_0000_0005, 0x3_0000_0010, .max]
        for arg in probes {
            var args: [UInt64] = [0, 0, 0, 0, 0, 0]
            args[2] = arg
            let got = try BPF.run(program, SeccompData(nr: nr, args: args))
            #expect(got == (c.reference(arg) ? Self.allow : Self.eperm), "arg \(arg)")
        }
    }

    @Test func jsonProfileLoadsDockerShape() throws {
        let json = """
        {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "architectures": ["SCMP_ARCH_X86_64"],
          "syscalls": [
            {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["s390_pci_mmio_read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
          ]
        }
        """
        let p = try SeccompProfile.parse(json: json)
        #expect(p.defaultAction == .errno(1))
        #expect(p.rules.count == 4)
        let plain = try SeccompCompiler.compile(p, capabilities: .dockerDefault)
        let admin = try SeccompCompiler.compile(p, capabilities: CapabilitySet(mask: CapabilitySet.dockerDefault.mask | (1 << 21)))
        func nr(_ n: String) throws -> UInt32 { try #require(SyscallTable.x86_64[n]) }
        #expect(try BPF.run(plain, SeccompData(nr: try nr("read"))) == Self.allow)
        #expect(try BPF.run(plain, SeccompData(nr: try nr("getpid"))) == Self.eperm)
        #expect(try BPF.run(plain, SeccompData(nr: try nr("mount"))) == Self.eperm)
        #expect(try BPF.run(admin, SeccompData(nr: try nr("mount"))) == Self.allow)
        #expect(try BPF.run(plain, SeccompData(nr: try nr("clone3"))) == Self.enosys)
        #expect(try BPF.run(admin, SeccompData(nr: try nr("clone3"))) == Self.eperm)
        #expect(try BPF.run(plain, SeccompData(nr: try nr("personality"), args: [8, 0, 0, 0, 0, 0])) == Self.allow)
        #expect(try BPF.run(plain, SeccompData(nr: try nr("personality"), args: [9, 0, 0, 0, 0, 0])) == Self.eperm)
    }

    struct BadJSON: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadJSON(name: "not JSON", text: "{defaultAction"),
        BadJSON(name: "no default action", text: #"{"syscalls": []}"#),
        BadJSON(name: "unknown action", text: #"{"defaultAction": "SCMP_ACT_MAYBE"}"#),
        BadJSON(name: "unknown operator", text: #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#),
    ])
    func invalidProfilesAreRejected(_ c: BadJSON) {
        #expect(throws: SeccompProfile.LoadError.self) { try SeccompProfile.parse(json: c.text) }
    }

    @Test func compiledFiltersAreCachedPerPolicyAndCapabilities() throws {
        let a = try SeccompFilterCache.shared.filter(for: .dockerDefault, capabilities: .dockerDefault)
        let b = try SeccompFilterCache.shared.filter(for: .dockerDefault, capabilities: .dockerDefault)
        let c = try SeccompFilterCache.shared.filter(for: .dockerDefault, capabilities: .full)
        #expect(a == b && a != c && a.count % 8 == 0)
        #expect(try SeccompFilterCache.shared.filter(for: .unconfined, capabilities: .full).isEmpty)
    }
}
