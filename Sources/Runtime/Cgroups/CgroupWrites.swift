/// One file write that applies a limit: `memory/memory.limit_in_bytes = 104857600`.
public struct CgroupWrite: Sendable, Equatable, CustomStringConvertible {
    /// v1 controller whose hierarchy holds the file, or nil for the v2 mount.
    public var controller: String?
    public var file: String
    public var value: String
    /// Skipped when the file does not exist (e.g. memsw without swap accounting).
    public var optional: Bool = false

    public init(_ controller: String?, _ file: String, _ value: String, optional: Bool = false) {
        self.controller = controller
        self.file = file
        self.value = value
        self.optional = optional
    }

    public var description: String { "\(controller.map { $0 + "/" } ?? "")\(file) = \(value)" }
}

/// Pure translation of `CgroupLimits` into file writes (no I/O).
public enum CgroupWrites {
    public static let cfsPeriod: Int64 = 100_000

    /// cgroup v1 writes, in the order they must be applied.
    public static func v1(_ l: CgroupLimits) -> [CgroupWrite] {
        var w: [CgroupWrite] = []
        if let mem = l.memory, mem > 0 {
            w.append(CgroupWrite("memory", "memory.limit_in_bytes", "\(mem)"))
            // Docker: memswap defaults to twice the memory limit; -1 = unlimited.
            let swap = l.memorySwap ?? mem * 2
            w.append(CgroupWrite("memory", "memory.memsw.limit_in_bytes", swap < 0 ? "-1" : "\(swap)", optional: true))
        }
        if let cpus = l.cpus, cpus > 0 {
            w.append(CgroupWrite("cpu", "cpu.cfs_period_us", "\(cfsPeriod)"))
            w.append(CgroupWrite("cpu", "cpu.cfs_quota_us", "\(quota(cpus))"))
        }
        if let shares = l.cpuShares, shares > 0 {
            w.append(CgroupWrite("cpu", "cpu.shares", "\(shares)"))
        }
        if let cpus = l.cpusetCpus { w.append(CgroupWrite("cpuset", "cpuset.cpus", cpus)) }
        if let mems = l.cpusetMems { w.append(CgroupWrite("cpuset", "cpuset.mems", mems)) }
        if let pids = l.pidsLimit {
            w.append(CgroupWrite("pids", "pids.max", pids > 0 ? "\(pids)" : "max"))
        }
        for rule in l.devices {
            w.append(CgroupWrite("devices", rule.allow ? "devices.allow" : "devices.deny", rule.description))
        }
        return w
    }

    /// cgroup v2 writes. Device rules have no file on v2: `Cgroup.create`
    /// attaches a `DeviceFilter` eBPF program instead.
    public static func v2(_ l: CgroupLimits) -> [CgroupWrite] {
        var w: [CgroupWrite] = []
        if let mem = l.memory, mem > 0 {
            w.append(CgroupWrite(nil, "memory.max", "\(mem)"))
            if let total = l.memorySwap {
                w.append(CgroupWrite(nil, "memory.swap.max", total < 0 ? "max" : "\(max(0, total - mem))", optional: true))
            } else {
                w.append(CgroupWrite(nil, "memory.swap.max", "\(mem)", optional: true))
            }
        }
        if let cpus = l.cpus, cpus > 0 {
            w.append(CgroupWrite(nil, "cpu.max", "\(quota(cpus)) \(cfsPeriod)"))
        }
        if let shares = l.cpuShares, shares > 0 {
            w.append(CgroupWrite(nil, "cpu.weight", "\(weight(shares: shares))"))
        }
        if let cpus = l.cpusetCpus { w.append(CgroupWrite(nil, "cpuset.cpus", cpus)) }
        if let mems = l.cpusetMems { w.append(CgroupWrite(nil, "cpuset.mems", mems)) }
        if let pids = l.pidsLimit {
            w.append(CgroupWrite(nil, "pids.max", pids > 0 ? "\(pids)" : "max"))
        }
        return w
    }

    /// CFS quota in µs for `cpus` CPUs over `cfsPeriod`.
    public static func quota(_ cpus: Double) -> Int64 {
        max(1000, Int64((cpus * Double(cfsPeriod)).rounded()))
    }

    /// runc's shares → weight conversion: [2, 262144] → [1, 10000].
    public static func weight(shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }

    /// v2 controllers the writes need (for `cgroup.subtree_control`).
    public static func v2Controllers(_ l: CgroupLimits) -> [String] {
        var c: [String] = []
        if l.memory != nil { c.append("memory") }
        if l.cpus != nil || l.cpuShares != nil { c.append("cpu") }
        if l.cpusetCpus != nil || l.cpusetMems != nil { c.append("cpuset") }
        if l.pidsLimit != nil { c.append("pids") }
        return c
    }
}
