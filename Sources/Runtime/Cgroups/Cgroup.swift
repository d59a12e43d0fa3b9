import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// A container's cgroup: `<hierarchy>/berth-<name>` in every v1 controller
/// hierarchy and in the v2 mount, directly below its root as crun's are
/// (no shared parent to make and remove around every container: on a v1
/// host that was ten more mkdirs before a start and ten rmdirs after it).
/// Created with its limits by `create`, removed (after killing what is
/// left inside) by `destroy`.
public struct Cgroup: Sendable, Equatable {
    /// How every leaf's name starts (leak checks look for it).
    public static let leafPrefix = "berth-"

    public let name: String
    public let hierarchy: CgroupHierarchy

    public init(name: String, hierarchy: CgroupHierarchy) {
        self.name = name
        self.hierarchy = hierarchy
    }

    /// v1 controller → leaf directory (co-mounted controllers share one).
    public var v1Paths: [String: String] {
        hierarchy.v1.mapValues(leaf(in:))
    }

    /// The leaf in the v2 mount, if there is one.
    public var v2Path: String? { hierarchy.v2.map(leaf(in:)) }

    /// This cgroup's directory directly below a hierarchy's `root`.
    private func leaf(in root: String) -> String { "\(root)/\(Cgroup.leafPrefix)\(name)" }

    /// Every distinct leaf directory.
    public var allPaths: [String] {
        var seen = Set<String>()
        return (Array(v1Paths.values).sorted() + (v2Path.map { [$0] } ?? [])).filter { seen.insert($0).inserted }
    }

    /// Creates the cgroup and applies `plan.limits`. On failure nothing is left.
    public static func create(_ plan: CgroupPlan, hierarchy: CgroupHierarchy) throws -> Cgroup {
        guard !plan.name.isEmpty, !plan.name.contains("/"), plan.name != ".", plan.name != ".." else {
            throw SystemError("mkdir cgroup", plan.name, errno: EINVAL)
        }
        let cg = Cgroup(name: plan.name, hierarchy: hierarchy)
        do {
            try cg.makeDirectories(limits: plan.limits)
            try cg.apply(plan.limits)
            try cg.attachDeviceFilter(plan.limits.devices)
        } catch {
            try? cg.destroy()
            throw error
        }
        return cg
    }

    private func makeDirectories(limits: CgroupLimits) throws {
        for (controller, root) in hierarchy.v1.sorted(by: { $0.key < $1.key }) {
            let dir = leaf(in: root)
            if Sys.exists(dir) { continue }   // co-mounted controllers (cpu,cpuacct) share it
            try Sys.mkdir(dir)
            if controller == "cpuset" { try inheritCpuset(dir, from: root) }
        }
        if let v2 = hierarchy.v2 {
            // Delegate the controllers the limits need and the kernel offers,
            // and `io` always: its io.stat is the block I/O `stats` shows.
            let wanted = CgroupWrites.v2Controllers(limits) + ["io"]
            if hierarchy.isUnified, !wanted.isEmpty {
                let available = Set(((try? Sys.readFile("\(v2)/cgroup.controllers")) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
                let enable = wanted.filter(available.contains).map { "+" + $0 }.joined(separator: " ")
                if !enable.isEmpty { try write("\(v2)/cgroup.subtree_control", enable) }
            }
            try Sys.mkdir(leaf(in: v2))
        }
    }

    /// cgroup v2 has no devices file: the rules become an eBPF program on the
    /// v2 leaf, attached before any process joins. Where a v1 devices
    /// hierarchy also exists (hybrid), it enforces the rules (`apply` wrote
    /// devices.deny/devices.allow) and the v2 leaf gets no program, as with
    /// runc on such hosts: a second copy of the same list would cost a
    /// verifier pass per container (~0.3 ms) and check nothing more.
    private func attachDeviceFilter(_ rules: [DeviceRule]) throws {
        guard let leaf = v2Path, !Cgroup.v1EnforcesDevices(hierarchy), !hierarchy.createsFiles,
              !DeviceFilter.allowsEverything(rules) else { return }
        try DeviceFilterLoader.attach(rules, toCgroup: leaf)
    }

    /// Whether device rules go to the v1 devices controller, leaving the v2
    /// mount (if any) without a device program.
    public static func v1EnforcesDevices(_ hierarchy: CgroupHierarchy) -> Bool {
        hierarchy.v1["devices"] != nil
    }

    /// v1 cpuset groups start empty and accept no task until cpus/mems are set.
    private func inheritCpuset(_ dir: String, from parent: String) throws {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let current = (try? Sys.readFile("\(dir)/\(file)"))?.trimmingWhitespace ?? ""
            if current.isEmpty, let value = try? Sys.readFile("\(parent)/\(file)").trimmingWhitespace, !value.isEmpty {
                try write("\(dir)/\(file)", value)
            }
        }
    }

    private func apply(_ limits: CgroupLimits) throws {
        if hierarchy.isUnified {
            guard let leaf = v2Path else { return }
            for w in CgroupWrites.v2(limits) {
                let path = "\(leaf)/\(w.file)"
                if w.optional && !hierarchy.createsFiles && !Sys.exists(path) { continue }
                try write(path, w.value)
            }
        } else {
            let paths = v1Paths
            for w in CgroupWrites.v1(limits) {
                guard let c = w.controller, let leaf = paths[c] else { continue }
                let path = "\(leaf)/\(w.file)"
                if w.optional && !hierarchy.createsFiles && !Sys.exists(path) { continue }
                try write(path, w.value)
            }
        }
    }

    private func write(_ path: String, _ value: String) throws {
        if hierarchy.createsFiles { try Sys.writeOrCreateFile(path, value) } else { try Sys.writeFile(path, value) }
    }

    /// Moves `pid` (and its threads) into every leaf.
    public func add(pid: Int32) throws {
        for leaf in allPaths {
            try write("\(leaf)/cgroup.procs", "\(pid)")
        }
    }

    /// Pids in the cgroup (union over the leaves).
    public func pids() -> [Int32] {
        var all = Set<Int32>()
        for leaf in allPaths {
            let text = (try? Sys.readFile("\(leaf)/cgroup.procs")) ?? ""
            for line in text.split(whereSeparator: \.isNewline) { if let p = Int32(line) { all.insert(p) } }
        }
        return all.sorted()
    }

    /// Freezes (`pause`) or thaws every process: the v1 freezer, else v2 `cgroup.freeze`.
    public func setFrozen(_ frozen: Bool) throws {
        if let leaf = v1Paths["freezer"] {
            try write("\(leaf)/freezer.state", frozen ? "FROZEN" : "THAWED")
        } else if let leaf = v2Path {
            try write("\(leaf)/cgroup.freeze", frozen ? "1" : "0")
        } else {
            throw SystemError("freeze", name, errno: ENOTSUP)
        }
    }

    /// Whether the kernel OOM-killed a process in this cgroup
    /// (`oom_kill` in v1 memory.oom_control or v2 memory.events).
    public func oomKilled() -> Bool {
        let file: String?
        if let leaf = v1Paths["memory"] { file = "\(leaf)/memory.oom_control" }
        else if let leaf = v2Path { file = "\(leaf)/memory.events" }
        else { file = nil }
        guard let file, let text = try? Sys.readFile(file) else { return false }
        return CgroupStats.counter("oom_kill", in: text).map { $0 > 0 } ?? false
    }

    /// Current usage (what the kernel offers; missing values are nil).
    public func stats() -> CgroupStats {
        var s = CgroupStats()
        let paths = v1Paths
        func read(_ path: String) -> UInt64? {
            (try? Sys.readFile(path)).flatMap { UInt64($0.trimmingWhitespace) }
        }
        func ioStat(_ leaf: String) -> IOUsage? {
            (try? Sys.readFile("\(leaf)/io.stat")).map(IOUsage.ioStat)
        }
        if hierarchy.isUnified, let leaf = v2Path {
            s.memoryUsage = read("\(leaf)/memory.current")
            s.memoryLimit = read("\(leaf)/memory.max")
            s.pids = read("\(leaf)/pids.current")
            if let text = try? Sys.readFile("\(leaf)/cpu.stat"), let usec = CgroupStats.counter("usage_usec", in: text) {
                s.cpuUsageNanoseconds = usec * 1000
            }
            s.blockIO = ioStat(leaf)
        } else {
            if let m = paths["memory"] {
                s.memoryUsage = read("\(m)/memory.usage_in_bytes")
                s.memoryLimit = read("\(m)/memory.limit_in_bytes")
            }
            if let p = paths["pids"] { s.pids = read("\(p)/pids.current") }
            if let c = paths["cpuacct"] { s.cpuUsageNanoseconds = read("\(c)/cpuacct.usage") }
            // Hybrid machines: blkio in v1, else io.stat when the v2 mount has the io controller.
            if let b = paths["blkio"] {
                s.blockIO = IOUsage.blkio(directory: b)
            } else if let leaf = v2Path {
                s.blockIO = ioStat(leaf)
            }
        }
        return s
    }

    /// Kills everything left inside (SIGKILL, thawing first), waits up to
    /// ~2 s for the cgroup to empty, then removes every leaf: nothing of
    /// berth stays once its last container is gone.
    public func destroy() throws {
        if !hierarchy.createsFiles {
            // Usually empty by now (the container's init reaped, the kernel
            // killed the rest of its PID namespace): the leaves go at once,
            // without reading who is left. A leaf still in use refuses
            // (EBUSY), and the rest goes the long way below.
            if allPaths.allSatisfy({ Glibc.rmdir($0) == 0 || Glibc.errno == ENOENT }) { return }
            if let leaf = v1Paths["freezer"], Sys.exists(leaf) { try? write("\(leaf)/freezer.state", "THAWED") }
            for _ in 0..<200 {
                let left = pids()
                if left.isEmpty { break }
                for p in left { try? Sys.kill(p, SIGKILL) }
                usleep(10_000)
            }
        }
        var firstError: SystemError?
        for leaf in allPaths {
            do {
                if hierarchy.createsFiles { try removeFakeTree(leaf) } else { try rmdirRetrying(leaf) }
            } catch let e as SystemError { if firstError == nil { firstError = e } }
        }
        if let firstError { throw firstError }
    }

    private func rmdirRetrying(_ path: String) throws {
        for _ in 0..<100 {
            if Glibc.rmdir(path) == 0 || Glibc.errno == ENOENT { return }
            if Glibc.errno != EBUSY { break }
            usleep(10_000)
        }
        throw SystemError.current("rmdir", path)
    }

    /// Fake trees hold regular files; remove them and the directory.
    private func removeFakeTree(_ path: String) throws {
        guard Sys.exists(path) else { return }
        for entry in try Sys.listDirectory(path) {
            let p = "\(path)/\(entry)"
            if Sys.isDirectory(p) { try removeFakeTree(p) } else { _ = Glibc.unlink(p) }
        }
        try Sys.rmdir(path)
    }
}

/// Usage figures for `stats`.
public struct CgroupStats: Sendable, Equatable {
    public var memoryUsage: UInt64?
    public var memoryLimit: UInt64?
    public var cpuUsageNanoseconds: UInt64?
    public var pids: UInt64?
    /// Bytes read from and written to block devices (v1 blkio, v2 io.stat).
    public var blockIO: IOUsage?

    public init() {}

    /// `key N` from a flat-keyed file (memory.events, memory.oom_control, cpu.stat).
    public static func counter(_ key: String, in text: String) -> UInt64? {
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key { return UInt64(f[1]) }
        }
        return nil
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}

extension String {
    var trimmingWhitespace: String { String(Substring(self).trimmingWhitespace) }
}
