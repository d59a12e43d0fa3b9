/// A seccomp profile in the shape of Docker's JSON profiles: a default
/// action and ordered rules. For one syscall the first rule whose argument
/// conditions all hold decides; no matching rule → `defaultAction`.
public struct SeccompProfile: Sendable, Equatable, Hashable {
    public enum Action: Sendable, Equatable, Hashable {
        case allow
        case errno(UInt16)
        case killThread
        case killProcess
        case trap
        case log
        case trace(UInt16)

        /// The `SECCOMP_RET_*` value.
        public var returnValue: UInt32 {
            switch self {
            case .allow: 0x7fff_0000
            case .errno(let e): 0x0005_0000 | UInt32(e)
            case .killThread: 0
            case .killProcess: 0x8000_0000
            case .trap: 0x0003_0000
            case .log: 0x7ffc_0000
            case .trace(let d): 0x7ff0_0000 | UInt32(d)
            }
        }
    }

    public enum Operator: String, Sendable, Equatable, Hashable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        /// `(arg & value) == valueTwo`.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    public struct Condition: Sendable, Equatable, Hashable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64
        public var op: Operator

        public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    public struct Rule: Sendable, Equatable, Hashable {
        public var names: [String]
        public var action: Action
        public var conditions: [Condition]
        /// Applies only when ANY of these capabilities is granted (`includes.caps`).
        public var onlyWithCapabilities: [Capability]
        /// Skipped when ANY of these capabilities is granted (`excludes.caps`).
        public var unlessCapabilities: [Capability]

        public init(_ names: [String], _ action: Action, conditions: [Condition] = [],
                    onlyWith: [Capability] = [], unless: [Capability] = []) {
            self.names = names
            self.action = action
            self.conditions = conditions
            onlyWithCapabilities = onlyWith
            unlessCapabilities = unless
        }

        func applies(to caps: CapabilitySet) -> Bool {
            if !onlyWithCapabilities.isEmpty && !onlyWithCapabilities.contains(where: caps.contains) { return false }
            if unlessCapabilities.contains(where: caps.contains) { return false }
            return true
        }
    }

    public var defaultAction: Action
    public var rules: [Rule]

    public init(defaultAction: Action, rules: [Rule]) {
        self.defaultAction = defaultAction
        self.rules = rules
    }
}

extension SeccompProfile {
    private static func cap(_ n: String) -> [Capability] { Capability(name: n).map { [$0] } ?? [] }

    /// berth's default: the intent of Docker's default profile expressed as
    /// "allow unless listed" (deny-list), so new syscalls keep working:
    /// - namespace, mount and kernel-wide operations fail with EPERM unless
    ///   the matching capability was granted (as Docker gates them);
    /// - keyring, kexec, io_uring, userfaultfd and module loading always fail;
    /// - `clone` with any CLONE_NEW* flag fails; `clone3` gets ENOSYS so libc
    ///   falls back to `clone` (whose flags can be checked);
    /// - `personality` is limited to the harmless values;
    /// - `socket(AF_VSOCK)` and `socket(AF_ALG)` fail.
    public static let dockerDefault: SeccompProfile = {
        let eperm = Action.errno(1)
        var rules: [Rule] = [
            Rule(["mount", "umount2", "unshare", "setns", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
                  "open_tree", "move_mount", "mount_setattr", "quotactl", "quotactl_fd", "lookup_dcookie",
                  "swapon", "swapoff", "name_to_handle_at", "fanotify_init"], eperm, unless: cap("SYS_ADMIN")),
            Rule(["bpf"], eperm, unless: cap("SYS_ADMIN") + cap("BPF")),
            Rule(["perf_event_open"], eperm, unless: cap("SYS_ADMIN") + cap("PERFMON")),
            Rule(["open_by_handle_at"], eperm, unless: cap("DAC_READ_SEARCH")),
            Rule(["init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms"],
                 eperm, unless: cap("SYS_MODULE")),
            Rule(["reboot"], eperm, unless: cap("SYS_BOOT")),
            Rule(["settimeofday", "clock_settime", "clock_adjtime"], eperm, unless: cap("SYS_TIME")),
            Rule(["syslog"], eperm, unless: cap("SYSLOG")),
            Rule(["acct"], eperm, unless: cap("SYS_PACCT")),
            Rule(["iopl", "ioperm"], eperm, unless: cap("SYS_RAWIO")),
            Rule(["vhangup"], eperm, unless: cap("SYS_TTY_CONFIG")),
            Rule(["kcmp", "pidfd_getfd"], eperm, unless: cap("SYS_PTRACE")),
            Rule(["get_mempolicy", "mbind", "set_mempolicy", "migrate_pages", "move_pages", "set_mempolicy_home_node"],
                 eperm, unless: cap("SYS_NICE")),
            Rule(["kexec_load", "kexec_file_load", "keyctl", "add_key", "request_key", "userfaultfd",
                  "io_uring_setup", "io_uring_enter", "io_uring_register", "uselib", "nfsservctl", "_sysctl",
                  "afs_syscall", "tuxcall", "security", "vserver"], eperm),
        ]
        // clone: allowed only without namespace flags (CLONE_NEWNS|CGROUP|UTS|IPC|USER|PID|NET).
        let nsFlags: UInt64 = 0x7E02_0000
        rules.append(Rule(["clone"], .allow, conditions: [Condition(index: 0, value: nsFlags, valueTwo: 0, op: .maskedEqual)],
                          unless: cap("SYS_ADMIN")))
        rules.append(Rule(["clone"], eperm, unless: cap("SYS_ADMIN")))
        rules.append(Rule(["clone3"], .errno(38), unless: cap("SYS_ADMIN")))   // ENOSYS
        for persona: UInt64 in [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(Rule(["personality"], .allow, conditions: [Condition(index: 0, value: persona, op: .equal)]))
        }
        rules.append(Rule(["personality"], eperm))
        rules.append(Rule(["socket"], eperm, conditions: [Condition(index: 0, value: 40, op: .equal)]))   // AF_VSOCK
        rules.append(Rule(["socket"], eperm, conditions: [Condition(index: 0, value: 38, op: .equal)]))   // AF_ALG
        return SeccompProfile(defaultAction: .allow, rules: rules)
    }()
}
