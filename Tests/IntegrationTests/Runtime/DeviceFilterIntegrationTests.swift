import BerthTestSupport
import Diagnostics
import Foundation
import Runtime
import SystemCalls
import Testing

/// The cgroup v2 device filter on the real kernel. This machine is hybrid
/// (v1 controllers, including devices, plus a controller-less cgroup2 mount),
/// so the first tests build a unified-only `CgroupHierarchy` on the machine's
/// cgroup2 mount: `Cgroup.create` then takes its v2 path, where the eBPF
/// program is the only device enforcement, and a shell moved into the leaf
/// (its v1 devices cgroup stays the unrestricted root) shows what it filters.
extension RuntimeIntegrationTests {
    static func unifiedOnly() throws -> CgroupHierarchy {
        let v2 = try #require(try CgroupHierarchy.system().v2, "no cgroup2 mount in /proc/self/mountinfo")
        return CgroupHierarchy(v1: [:], v2: v2)
    }

    /// A character device node at `path` (old dev_t encoding: major < 4096, minor < 256).
    static func makeCharNode(_ path: String, major: UInt32, minor: UInt32) throws {
        let dev = dev_t((major & 0xFFF) << 8 | (minor & 0xFF))
        if mknod(path, S_IFCHR | 0o666, dev) != 0 { throw SystemError.current("mknod", path) }
    }

    /// `busybox cat node`, optionally after the shell moved itself into `leaf`.
    static func catNode(_ node: String, inCgroup leaf: String?) throws -> CommandResult {
        let join = leaf.map { "echo $$ > '\($0)/cgroup.procs' || exit 99; " } ?? ""
        return try runProcess(URL(fileURLWithPath: "/bin/busybox"),
                              ["sh", "-c", "\(join)exec /bin/busybox cat '\(node)'"], timeout: 30)
    }

    /// Waits (up to ~3 s) for the kernel to free a program after its cgroup went.
    static func programFreed(_ id: UInt32) -> Bool {
        for _ in 0..<300 {
            if !DeviceFilterLoader.programExists(id: id) { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func v2DeviceFilterDeniesWhatTheRulesDeny() async throws {
        try await withTestRoot { t in
            let dir = t.directory.path
            try Self.makeCharNode("\(dir)/null", major: 1, minor: 3)
            try Self.makeCharNode("\(dir)/fake", major: 42, minor: 42)
            // Control: without the filter the made-up device only fails in its driver lookup.
            let outside = try Self.catNode("\(dir)/fake", inCgroup: nil)
            #expect(outside.status != 0 && outside.stderr.contains("No such device or address"), "\(outside.stderr)")

            let cg = try Cgroup.create(CgroupPlan(name: "\(t.prefix)-devfilter"), hierarchy: try Self.unifiedOnly())
            let leaf = try #require(cg.v2Path)
            var ids: [UInt32] = []
            do {
                ids = try DeviceFilterLoader.attachedPrograms(cgroup: leaf)
                #expect(ids.count == 1, "one device program on \(leaf): \(ids)")
                #expect(ids.allSatisfy(DeviceFilterLoader.programExists), "loaded while attached")
                let null = try Self.catNode("\(dir)/null", inCgroup: leaf)
                #expect(null.status == 0, "allowed c 1:3: \(null.stderr)")
                let fake = try Self.catNode("\(dir)/fake", inCgroup: leaf)
                #expect(fake.status == 1 && fake.stderr.contains("Operation not permitted"), "denied c 42:42: \(fake.stderr)")
                // mknod of any char device stays allowed (c *:* m); opening it does not.
                let made = try runProcess(URL(fileURLWithPath: "/bin/busybox"), ["sh", "-c", """
                echo $$ > '\(leaf)/cgroup.procs' || exit 99
                /bin/busybox mknod '\(dir)/made' c 42 43 && echo made
                /bin/busybox cat '\(dir)/made' 2>&1
                """], timeout: 30)
                #expect(made.stdout.contains("made") && made.stdout.contains("Operation not permitted"), "\(made.stdout)\(made.stderr)")
            } catch {
                try? cg.destroy()
                throw error
            }
            try cg.destroy()
            #expect(!Sys.exists(leaf))
            for id in ids { #expect(Self.programFreed(id), "program \(id) still loaded after rmdir") }
        }
    }

    @Test func privilegedV2CgroupGetsNoDeviceFilter() async throws {
        try await withTestRoot { t in
            let dir = t.directory.path
            try Self.makeCharNode("\(dir)/fake", major: 42, minor: 42)
            var limits = CgroupLimits()
            limits.devices = [DeviceRule(allow: true, type: "a", major: nil, minor: nil, access: "rwm")]
            let cg = try Cgroup.create(CgroupPlan(name: "\(t.prefix)-priv", limits: limits), hierarchy: try Self.unifiedOnly())
            let leaf = try #require(cg.v2Path)
            do {
                #expect(try DeviceFilterLoader.attachedPrograms(cgroup: leaf).isEmpty)
                let fake = try Self.catNode("\(dir)/fake", inCgroup: leaf)
                #expect(fake.stderr.contains("No such device or address"), "unfiltered: \(fake.stderr)")
            } catch {
                try? cg.destroy()
                throw error
            }
            try cg.destroy()
        }
    }

    /// A real container on this (hybrid) machine: its v1 devices cgroup
    /// holds Docker's default list before the process starts and enforces
    /// it, and its v2 leaf carries no device program (a second copy of the
    /// same rules, as runc attaches none there either).
    @Test func hybridContainerIsFilteredByItsV1DevicesCgroupAlone() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let plan = Harness.plan("""
            mknod /tmp/fake c 42 42 && cat /tmp/fake 2>&1
            head -c 1 /dev/zero | wc -c
            """, root: root, t: t)
            let hierarchy = try CgroupHierarchy.system()
            let v2 = try #require(hierarchy.v2)
            let devices = try #require(hierarchy.v1["devices"], "not a hybrid host: no v1 devices hierarchy")
            #expect(Cgroup.v1EnforcesDevices(hierarchy))
            let name = try #require(plan.cgroup).name
            let leaf = "\(v2)/\(Cgroup.leafPrefix)\(name)"
            let seen = LockedIDs()
            let list = LockedText()
            let r = try Harness.run(plan) { _ in
                seen.set(try DeviceFilterLoader.attachedPrograms(cgroup: leaf))
                list.set(try Sys.readFile("\(devices)/\(Cgroup.leafPrefix)\(name)/devices.list"))
            }
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.contains("Operation not permitted"), "\(r.stdout)")
            #expect(r.stdout.split(separator: "\n").last == "1", "allowed devices still work: \(r.stdout)")
            #expect(seen.ids.isEmpty, "no device program on the v2 leaf: \(seen.ids)")
            let rules = list.text.split(separator: "\n").map(String.init)
            #expect(rules.contains("c 1:3 rwm") && !rules.contains("a *:* rwm"), "v1 list before start: \(rules)")
        }
    }
}

/// Program ids captured in `beforeStart`.
final class LockedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [UInt32] = []
    func set(_ ids: [UInt32]) { lock.lock(); value = ids; lock.unlock() }
    var ids: [UInt32] { lock.lock(); defer { lock.unlock() }; return value }
}

/// A file's text captured in `beforeStart`.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ text: String) { lock.lock(); value = text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
}
