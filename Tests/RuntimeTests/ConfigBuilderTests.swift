import CRuntime
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime
import Testing

@Suite struct ConfigBuilderTests {
    static func targets(_ plan: LaunchPlan) throws -> [String] {
        let arena = CArena()
        return try withExtendedLifetime(arena) {
            try ConfigBuilder.mounts(for: plan, arena: arena).map { m in m.target.map { String(cString: $0) } ?? "" }
        }
    }

    @Test func mountsAreOrderedParentsFirstAfterProcAndSys() throws {
        var plan = LaunchPlan(argv: ["true"], rootfs: Rootfs(directory: "/r"))
        plan.mounts = [.bind("/h/a", at: "/data/sub/deep"), .tmpfs(at: "/run"), .bind("/h/b", at: "/data"),
                       .bind("/h/c", at: "/data/./sub/")]
        plan.etcFiles = EtcFiles(hosts: "/h/hosts", resolvConf: "/h/resolv")
        #expect(try Self.targets(plan) == ["/proc", "/sys", "/run", "/data", "/data/sub", "/data/sub/deep",
                                           "/etc/hosts", "/etc/resolv.conf"])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var name: String
        var change: @Sendable (inout LaunchPlan) -> Void
        var testDescription: String { name }
    }

    @Test(arguments: [
        Invalid(name: "net sysctl with host network") {
            $0.namespaces.net = .host
            $0.sysctls = [Sysctl(key: "net.ipv4.ip_forward", value: "1")]
        },
        Invalid(name: "ipc sysctl with host ipc") {
            $0.namespaces.ipc = .host
            $0.sysctls = [Sysctl(key: "kernel.shmmax", value: "1")]
        },
        Invalid(name: "host-wide sysctl") { $0.sysctls = [Sysctl(key: "vm.overcommit_memory", value: "1")] },
        Invalid(name: "hostname with host uts") {
            $0.namespaces.uts = .host
            $0.hostname = "x"
        },
        Invalid(name: "relative mount target") { $0.mounts = [.tmpfs(at: "data")] },
        Invalid(name: "mount target with ..") { $0.mounts = [.bind("/h", at: "/a/../../b")] },
        Invalid(name: "empty argv") { $0.argv = [] },
        Invalid(name: "soft ulimit above hard") { $0.rlimits = [ResourceLimit(name: "nofile", soft: 10, hard: 5)] },
        Invalid(name: "device at a relative path") {
            $0.devices = [DeviceNode(path: "dev/x", type: "c", major: 1, minor: 5)]
        },
        Invalid(name: "device at /") { $0.devices = [DeviceNode(path: "/", type: "c", major: 1, minor: 5)] },
        Invalid(name: "device of type a") { $0.devices = [DeviceNode(path: "/dev/x", type: "a", major: 1, minor: 5)] },
        Invalid(name: "overlay options over one page") {
            $0.rootfs = Rootfs(overlayAt: "/m", lowerDirs: Array(repeating: String(repeating: "x", count: 200), count: 30),
                               upperDir: "/u", workDir: "/w")
        },
    ])
    func invalidPlansAreRejectedBeforeCloning(_ c: Invalid) {
        var plan = LaunchPlan(argv: ["true"], rootfs: Rootfs(directory: "/r"))
        c.change(&plan)
        let arena = CArena()
        #expect(throws: (any Error).self) {
            try ConfigBuilder.config(for: plan, stdio: LaunchStdio(), filter: [], arena: arena)
        }
    }

    @Test func namespaceFlagsAndJoins() throws {
        var plan = LaunchPlan(argv: ["true"], rootfs: Rootfs(directory: "/r"))
        plan.namespaces.net = .join(path: "/proc/42/ns/net")
        plan.namespaces.pid = .host
        let arena = CArena()
        let cfg = try ConfigBuilder.config(for: plan, stdio: LaunchStdio(), filter: [], arena: arena)
        let expected = UInt64(ConfigBuilder.newNS | ConfigBuilder.newUTS | ConfigBuilder.newIPC)
        #expect(cfg.clone_flags == expected)
        #expect(cfg.njoins == 1)
        #expect(cfg.joins.map { String(cString: $0.pointee.path) } == "/proc/42/ns/net")
        #expect(cfg.cap_effective == CapabilitySet.dockerDefault.mask)
        withExtendedLifetime(arena) {}
    }

    @Test func devicesReachTheChildsConfig() throws {
        var plan = LaunchPlan(argv: ["true"], rootfs: Rootfs(directory: "/r"))
        plan.devices = [DeviceNode(path: "/dev//myzero", type: "c", major: 1, minor: 5, fileMode: 0o640, uid: 7, gid: 8),
                        DeviceNode(path: "/dev/xvda", type: "b", major: 8, minor: 0)]
        let arena = CArena()
        let cfg = try ConfigBuilder.config(for: plan, stdio: LaunchStdio(), filter: [], arena: arena)
        #expect(cfg.ndevices == 2)
        let d0 = cfg.devices[0], d1 = cfg.devices[1]
        #expect(String(cString: d0.path) == "/dev/myzero")
        #expect(d0.mode == UInt32(S_IFCHR) | 0o640 && d0.major == 1 && d0.minor == 5 && d0.uid == 7 && d0.gid == 8)
        #expect(String(cString: d1.path) == "/dev/xvda")
        #expect(d1.mode == UInt32(S_IFBLK) | 0o666 && d1.major == 8 && d1.minor == 0)
        withExtendedLifetime(arena) {}
    }

    @Test func overlayPathsAreEscaped() {
        let r = Rootfs(overlayAt: "/m", lowerDirs: ["/a:b", "/c,d"], upperDir: "/u", workDir: "/w")
        #expect(r.overlayData == "lowerdir=/a\\:b:/c\\,d,upperdir=/u,workdir=/w")
    }
}

@Suite struct CgroupViewTests {
    @Test func hybridHostGetsTmpfsPerHierarchyMountsThenReadOnly() {
        let h = CgroupHierarchy(v1: ["cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
                                     "memory": "/sys/fs/cgroup/memory"], v2: "/sys/fs/cgroup/unified")
        let m = ConfigBuilder.cgroupMounts(h)
        #expect(m.map(\.type) == ["tmpfs", "cgroup", "cgroup", "cgroup2", "setattr"])
        #expect(m.map(\.target) == ["/sys/fs/cgroup", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory",
                                    "/sys/fs/cgroup/unified", "/sys/fs/cgroup"])
        #expect(m[1].data == "cpu,cpuacct")
    }

    @Test func unifiedHostGetsOneCgroup2Mount() {
        let m = ConfigBuilder.cgroupMounts(CgroupHierarchy(v1: [:], v2: "/sys/fs/cgroup"))
        #expect(m.map(\.type) == ["cgroup2"] && m.map(\.target) == ["/sys/fs/cgroup"])
    }
}
