/// The container's cgroup: `berth/<name>` on every hierarchy, with limits.
public struct CgroupPlan: Sendable, Equatable {
    /// Leaf name, normally the container id (letters, digits, `-`, `_`, `.`).
    public var name: String
    public var limits: CgroupLimits

    public init(name: String, limits: CgroupLimits = CgroupLimits()) {
        self.name = name
        self.limits = limits
    }
}

/// Compose/Docker resource limits (nil = not set).
public struct CgroupLimits: Sendable, Equatable {
    /// `mem_limit` in bytes.
    public var memory: Int64?
    /// `memswap_limit`: memory + swap in bytes; -1 = unlimited swap.
    public var memorySwap: Int64?
    /// `cpus` (e.g. 1.5) → CFS quota over a 100 ms period.
    public var cpus: Double?
    /// `cpu_shares` (v1 shares; mapped to v2 weight).
    public var cpuShares: UInt64?
    /// `cpuset` (e.g. "0-1").
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// `pids_limit`; -1 or 0 = unlimited.
    public var pidsLimit: Int64?
    /// Device access rules: v1 devices controller, or an eBPF device filter
    /// on the v2 leaf (`DeviceFilter`). Docker's default list.
    public var devices: [DeviceRule] = DeviceRule.dockerDefault

    public init() {}
}

/// A devices-cgroup rule, `c 1:3 rwm`.
public struct DeviceRule: Sendable, Equatable, CustomStringConvertible {
    public var allow: Bool
    /// "a", "c" or "b".
    public var type: Character
    /// nil = `*`.
    public var major: Int64?
    public var minor: Int64?
    public var access: String

    public init(allow: Bool, type: Character, major: Int64?, minor: Int64?, access: String) {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The v1 `devices.allow`/`devices.deny` line.
    public var description: String {
        if type == "a" { return "a" }
        return "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// Docker's default: deny everything, then allow the standard nodes,
    /// ptys and `mknod` of any char/block device (opening stays denied).
    public static let dockerDefault: [DeviceRule] = [
        DeviceRule(allow: false, type: "a", major: nil, minor: nil, access: "rwm"),
        DeviceRule(allow: true, type: "c", major: nil, minor: nil, access: "m"),
        DeviceRule(allow: true, type: "b", major: nil, minor: nil, access: "m"),
        DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),   // null
        DeviceRule(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),   // zero
        DeviceRule(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),   // full
        DeviceRule(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),   // random
        DeviceRule(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),   // urandom
        DeviceRule(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),   // tty
        DeviceRule(allow: true, type: "c", major: 5, minor: 1, access: "rwm"),   // console
        DeviceRule(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),   // ptmx
        DeviceRule(allow: true, type: "c", major: 136, minor: nil, access: "rwm"), // pts/*
        DeviceRule(allow: true, type: "c", major: 10, minor: 200, access: "rwm"),  // net/tun
    ]
}
