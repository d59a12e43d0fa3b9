import Foundation
import Diagnostics
@testable import Runtime
import SystemCalls
import Testing

@Suite struct CgroupTests {
    struct WriteCase: CustomTestStringConvertible, Sendable {
        var name: String
        var limits: CgroupLimits
        var v1: [String]
        var v2: [String]
        var testDescription: String { name }
    }

    static func limits(_ f: (inout CgroupLimits) -> Void) -> CgroupLimits {
        var l = CgroupLimits()
        l.devices = []
        f(&l)
        return l
    }

    static let cases = [
        WriteCase(name: "memory with default swap", limits: limits { $0.memory = 100 << 20 },
                  v1: ["memory/memory.limit_in_bytes = 104857600", "memory/memory.memsw.limit_in_bytes = 209715200"],
                  v2: ["memory.max = 104857600", "memory.swap.max = 104857600"]),
        WriteCase(name: "memory with unlimited swap", limits: limits { $0.memory = 1 << 30; $0.memorySwap = -1 },
                  v1: ["memory/memory.limit_in_bytes = 1073741824", "memory/memory.memsw.limit_in_bytes = -1"],
                  v2: ["memory.max = 1073741824", "memory.swap.max = max"]),
        WriteCase(name: "memswap equal to memory: no swap", limits: limits { $0.memory = 64 << 20; $0.memorySwap = 64 << 20 },
                  v1: ["memory/memory.limit_in_bytes = 67108864", "memory/memory.memsw.limit_in_bytes = 67108864"],
                  v2: ["memory.max = 67108864", "memory.swap.max = 0"]),
        WriteCase(name: "cpus 1.5 and shares", limits: limits { $0.cpus = 1.5; $0.cpuShares = 512 },
                  v1: ["cpu/cpu.cfs_period_us = 100000", "cpu/cpu.cfs_quota_us = 150000", "cpu/cpu.shares = 512"],
                  v2: ["cpu.max = 150000 100000", "cpu.weight = 20"]),
        WriteCase(name: "cpuset and pids", limits: limits { $0.cpusetCpus = "0-1"; $0.cpusetMems = "0"; $0.pidsLimit = 100 },
                  v1: ["cpuset/cpuset.cpus = 0-1", "cpuset/cpuset.mems = 0", "pids/pids.max = 100"],
                  v2: ["cpuset.cpus = 0-1", "cpuset.mems = 0", "pids.max = 100"]),
        WriteCase(name: "pids unlimited", limits: limits { $0.pidsLimit = -1 },
                  v1: ["pids/pids.max = max"], v2: ["pids.max = max"]),
    ]

    @Test(arguments: cases) func limitsBecomeWrites(_ c: WriteCase) {
        #expect(CgroupWrites.v1(c.limits).map(\.description) == c.v1)
        #expect(CgroupWrites.v2(c.limits).map(\.description) == c.v2)
    }

    @Test func dockerDeviceRulesDenyAllThenAllowStandardNodes() {
        let lines = CgroupWrites.v1(CgroupLimits()).map(\.description)
        #expect(lines.first == "devices/devices.deny = a")
        #expect(lines.contains("devices/devices.allow = c 1:3 rwm"))
        #expect(lines.contains("devices/devices.allow = c 136:* rwm"))
        #expect(!lines.contains { $0.contains("10:229") }, "fuse stays denied")
    }

    @Test func weightConversionMatchesRunc() {
        #expect(CgroupWrites.weight(shares: 2) == 1)
        #expect(CgroupWrites.weight(shares: 1024) == 39)
        #expect(CgroupWrites.weight(shares: 262_144) == 10_000)
    }

    @Test func parsesHybridMountinfo() {
        let text = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
        let h = CgroupHierarchy.parse(mountinfo: text)
        #expect(h.v1["memory"] == "/sys/fs/cgroup/memory")
        #expect(h.v1["cpu"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(h.v1["systemd"] == nil)
        #expect(h.v2 == "/sys/fs/cgroup/unified")
        #expect(!h.isUnified)
        let unified = CgroupHierarchy.parse(mountinfo: "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate")
        #expect(unified.isUnified && unified.v2 == "/sys/fs/cgroup")
        // A line too short to hold a mount point is skipped, not read past.
        let short = CgroupHierarchy.parse(mountinfo: text + "\n1 - cgroup cgroup\n2 3 - cgroup x rw,pids")
        #expect(short.v1 == h.v1 && short.v2 == h.v2)
    }

    /// The shell against a fake tree: `berth-<name>` below every root,
    /// limits written, OOM and freezer files read, everything removed.
    @Test func createApplyAndDestroyInAFakeTree() throws {
        let base = NSTemporaryDirectory() + "cgtest-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        for c in ["memory", "pids", "cpu", "cpuset", "freezer", "blkio", "unified"] {
            try FileManager.default.createDirectory(atPath: "\(base)/\(c)", withIntermediateDirectories: true)
        }
        try "0-3".write(toFile: "\(base)/cpuset/cpuset.cpus", atomically: true, encoding: .utf8)
        try "0".write(toFile: "\(base)/cpuset/cpuset.mems", atomically: true, encoding: .utf8)
        let h = CgroupHierarchy(v1: ["memory": "\(base)/memory", "pids": "\(base)/pids", "cpu": "\(base)/cpu",
                                     "cpuset": "\(base)/cpuset", "freezer": "\(base)/freezer", "blkio": "\(base)/blkio"],
                                v2: "\(base)/unified", createsFiles: true)
        var limits = CgroupLimits()
        limits.memory = 1 << 20
        limits.pidsLimit = 7
        limits.devices = []
        let cg = try Cgroup.create(CgroupPlan(name: "c1", limits: limits), hierarchy: h)
        #expect(try Sys.readFile("\(base)/memory/berth-c1/memory.limit_in_bytes") == "1048576")
        #expect(try Sys.readFile("\(base)/memory/berth-c1/memory.memsw.limit_in_bytes") == "2097152")
        #expect(try Sys.readFile("\(base)/pids/berth-c1/pids.max") == "7")
        #expect(try Sys.readFile("\(base)/cpuset/berth-c1/cpuset.cpus") == "0-3", "inherited from the root")
        #expect(Sys.isDirectory("\(base)/unified/berth-c1"))
        try "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n".write(toFile: "\(base)/memory/berth-c1/memory.oom_control", atomically: true, encoding: .utf8)
        #expect(cg.oomKilled())
        // Hybrid: block I/O from v1 blkio (the throttle counters here), not the v2 mount.
        try "254:0 Read 512\n254:0 Write 8192\n254:0 Total 8704\nTotal 8704\n"
            .write(toFile: "\(base)/blkio/berth-c1/blkio.throttle.io_service_bytes_recursive", atomically: true, encoding: .utf8)
        #expect(cg.stats().blockIO == IOUsage(read: 512, write: 8192))
        try cg.setFrozen(true)
        #expect(try Sys.readFile("\(base)/freezer/berth-c1/freezer.state") == "FROZEN")
        try cg.add(pid: 4242)
        #expect(try Sys.readFile("\(base)/pids/berth-c1/cgroup.procs") == "4242")
        try cg.destroy()
        for c in ["memory", "pids", "cpu", "cpuset", "freezer", "unified"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(base)/\(c)").allSatisfy { !$0.hasPrefix("berth") }, "\(c)")
        }
    }

    @Test func rejectsLeafNamesThatLeaveTheParent() {
        let h = CgroupHierarchy(v1: [:], v2: "/nonexistent", createsFiles: true)
        for bad in ["", "..", "a/b"] {
            #expect(throws: (any Error).self) { try Cgroup.create(CgroupPlan(name: bad), hierarchy: h) }
        }
    }
}

@Suite struct CgroupV2Tests {
    @Test func unifiedHierarchyDelegatesControllersAndWritesV2Files() throws {
        let base = NSTemporaryDirectory() + "cg2test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try "cpuset cpu io memory pids".write(toFile: "\(base)/cgroup.controllers", atomically: true, encoding: .utf8)
        let h = CgroupHierarchy(v1: [:], v2: base, createsFiles: true)
        #expect(h.isUnified)
        var limits = CgroupLimits()
        limits.memory = 64 << 20
        limits.memorySwap = 96 << 20
        limits.cpus = 0.5
        limits.pidsLimit = 50
        let cg = try Cgroup.create(CgroupPlan(name: "c2", limits: limits), hierarchy: h)
        // io always: its io.stat is what `stats` shows as block I/O.
        #expect(try Sys.readFile("\(base)/cgroup.subtree_control") == "+memory +cpu +pids +io")
        #expect(try Sys.readFile("\(base)/berth-c2/memory.max") == "67108864")
        #expect(try Sys.readFile("\(base)/berth-c2/memory.swap.max") == "33554432")
        #expect(try Sys.readFile("\(base)/berth-c2/cpu.max") == "50000 100000")
        #expect(try Sys.readFile("\(base)/berth-c2/pids.max") == "50")
        try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n".write(toFile: "\(base)/berth-c2/memory.events", atomically: true, encoding: .utf8)
        #expect(cg.oomKilled())
        try "254:0 rbytes=4096 wbytes=1048576 rios=1 wios=256 dbytes=0 dios=0\n"
            .write(toFile: "\(base)/berth-c2/io.stat", atomically: true, encoding: .utf8)
        #expect(cg.stats().blockIO == IOUsage(read: 4096, write: 1_048_576))
        try cg.setFrozen(true)
        #expect(try Sys.readFile("\(base)/berth-c2/cgroup.freeze") == "1")
        try cg.destroy()
        #expect(!Sys.exists("\(base)/berth-c2"))
    }
}
