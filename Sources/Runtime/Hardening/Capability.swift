/// A Linux capability (bit number as in <linux/capability.h>).
public struct Capability: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bit: Int

    public init?(bit: Int) {
        guard bit >= 0 && bit < Capability.names.count else { return nil }
        self.bit = bit
    }

    /// Parses `NET_ADMIN` or `CAP_NET_ADMIN` (case-insensitive).
    public init?(name: String) {
        var upper = name.uppercased()
        if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
        guard let i = Capability.names.firstIndex(of: upper) else { return nil }
        bit = i
    }

    public var name: String { "CAP_" + Capability.names[bit] }
    public var description: String { name }
    public static func < (a: Capability, b: Capability) -> Bool { a.bit < b.bit }

    /// Names indexed by bit number (kernel 6.x: 0…40).
    static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    public static var all: [Capability] { (0..<names.count).compactMap { Capability(bit: $0) } }
}

/// A set of capabilities as the kernel's 64-bit mask.
public struct CapabilitySet: Hashable, Sendable, CustomStringConvertible {
    public var mask: UInt64

    public init(mask: UInt64 = 0) { self.mask = mask }
    public init(_ caps: [Capability]) {
        mask = caps.reduce(0) { $0 | (1 << UInt64($1.bit)) }
    }

    public func contains(_ c: Capability) -> Bool { mask & (1 << UInt64(c.bit)) != 0 }
    public mutating func insert(_ c: Capability) { mask |= 1 << UInt64(c.bit) }
    public mutating func remove(_ c: Capability) { mask &= ~(1 << UInt64(c.bit)) }
    public var members: [Capability] { Capability.all.filter(contains) }

    /// `/proc/PID/status` style: 16 hex digits.
    public var hex: String {
        let h = String(mask, radix: 16)
        return String(repeating: "0", count: max(0, 16 - h.count)) + h
    }
    public var description: String { members.map(\.name).joined(separator: ",") }

    /// Docker's default 14 (moby oci/defaults.go): CapEff 00000000a80425fb.
    public static let dockerDefault = CapabilitySet([
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
        "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ].compactMap { Capability(name: $0) })

    /// Every capability the kernel knows (privileged).
    public static let full = CapabilitySet(Capability.all)
}

/// Capability sets of the container's first process. Inheritable and
/// ambient are always empty (CVE-2022-24769); they have no field here.
public struct ProcessCapabilities: Hashable, Sendable {
    public var bounding: CapabilitySet
    public var effective: CapabilitySet
    public var permitted: CapabilitySet

    public init(_ set: CapabilitySet) {
        bounding = set
        effective = set
        permitted = set
    }

    public init(bounding: CapabilitySet, effective: CapabilitySet, permitted: CapabilitySet) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
    }

    /// These sets without what `grantable` (berth's own bounding set) lacks:
    /// what the container's first process really gets.
    public func limited(to grantable: CapabilitySet) -> ProcessCapabilities {
        var c = self
        c.bounding.mask &= grantable.mask
        c.effective.mask &= grantable.mask
        c.permitted.mask &= grantable.mask
        return c
    }

    /// Docker's rule: start from the default set (or all when privileged),
    /// drop `ALL` or named caps, then add named caps (`ALL` = every cap).
    /// Unknown names are returned in `unknown` instead of being ignored.
    public static func resolve(add: [String], drop: [String], privileged: Bool)
        -> (capabilities: ProcessCapabilities, unknown: [String]) {
        if privileged { return (ProcessCapabilities(.full), []) }
        var set = CapabilitySet.dockerDefault
        var unknown: [String] = []
        for name in drop {
            if name.uppercased() == "ALL" { set = CapabilitySet(); continue }
            guard let c = Capability(name: name) else { unknown.append(name); continue }
            set.remove(c)
        }
        for name in add {
            if name.uppercased() == "ALL" { set = .full; continue }
            guard let c = Capability(name: name) else { unknown.append(name); continue }
            set.insert(c)
        }
        return (ProcessCapabilities(set), unknown)
    }
}
