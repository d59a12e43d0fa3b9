import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth run --device` / `--device-cgroup-rule` and compose `devices:` /
/// `device_cgroup_rules`: the node is made inside the container with the
/// host node's numbers, mode and owner, and the cgroup allows exactly the
/// permissions given (EPERM beyond them; ENXIO from the kernel once the
/// cgroup let an open of the unassigned test number 240:7 through).
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerDeviceTests {
    static let denied = "Operation not permitted"
    static let passedCgroup = "No such device or address"

    /// A host char device node 240:7 (an unassigned number), mode 0640, owner 123:45.
    static func hostNode(_ t: TestRoot) throws -> String {
        let path = t.directory.appendingPathComponent("mydev").path
        let major: UInt64 = 240, minor: UInt64 = 7
        let dev = ((major & 0xfff) << 8) | ((major & ~0xfff) << 32) | (minor & 0xff) | ((minor & ~0xff) << 12)
        #expect(mknod(path, S_IFCHR | 0o640, dev_t(dev)) == 0)
        #expect(chown(path, 123, 45) == 0)
        #expect(chmod(path, 0o640) == 0)
        return path
    }

    /// `ls -ln` fields of the line naming `path`: mode, uid, gid, "major,", minor.
    static func listing(_ output: String, _ path: String) -> [String] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasSuffix(" " + path) }) else { return [] }
        let f = line.split(separator: " ").map(String.init)
        return f.count > 5 ? [f[0], f[2], f[3], f[4], f[5]] : []
    }

    @Test func aDeviceIsCreatedAndReadable() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let r = try t.cli("run", "--rm", "--device", "/dev/zero:/dev/myzero:r", "busybox", "sh", "-c",
                              "ls -l /dev/myzero; head -c 4 /dev/myzero | od")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("crw-rw-rw-"), "\(r.stdout)")
            #expect(r.stdout.contains("1,   5 "), "\(r.stdout)")
            #expect(r.stdout.hasSuffix("0000000 000000 000000\n0000004\n"), "\(r.stdout)")
        }
    }

    /// Docker: a privileged container gets the host's device nodes; the
    /// standard ones stay berth's own.
    @Test(.requiresTool("/dev/kmsg")) func privilegedGetsTheHostDevices() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let script = "ls -ln /dev/kmsg /dev/null; readlink /dev/ptmx; cat /proc/self/mountinfo | grep -c ' /dev/pts '"
            let p = try t.cli("run", "--rm", "--privileged", "busybox", "sh", "-c", script)
            #expect(p.status == 0, "\(p.stderr)")
            #expect(Self.listing(p.stdout, "/dev/kmsg") == ["crw-r--r--", "0", "0", "1,", "11"], "\(p.stdout)")
            #expect(Self.listing(p.stdout, "/dev/null") == ["crw-rw-rw-", "0", "0", "1,", "3"], "\(p.stdout)")
            #expect(p.stdout.contains("pts/ptmx\n1\n"), "\(p.stdout)")
            let plain = try t.cli("run", "--rm", "busybox", "ls", "/dev/kmsg")
            #expect(plain.status != 0)
        }
    }

    @Test func theCgroupAllowsOnlyTheGivenPermissions() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let node = try Self.hostNode(t)
            // r: reading passes the cgroup (the kernel then has no driver: ENXIO), writing is denied.
            let r = try t.cli("run", "--rm", "--device", "\(node):/dev/sub/mydev:r", "busybox", "sh", "-c",
                              "ls -ln /dev/sub/mydev; cat /dev/sub/mydev; echo x > /dev/sub/mydev; echo done")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.listing(r.stdout, "/dev/sub/mydev") == ["crw-r-----", "123", "45", "240,", "7"], "\(r.stdout)")
            #expect(r.stdout.hasSuffix("done\n"))
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 2, "\(r.stderr)")
            #expect(lines.first?.contains(Self.passedCgroup) == true, "\(r.stderr)")
            #expect(lines.last?.contains(Self.denied) == true, "\(r.stderr)")
            // rw (container path defaults to the host path): writing passes the cgroup too.
            let rw = try t.cli("run", "--rm", "--device", "\(node):rw", "busybox", "sh", "-c", "echo x > \(node)")
            #expect(rw.status != 0)
            #expect(rw.stderr.contains(Self.passedCgroup), "\(rw.stderr)")
            // Recorded (inspect shows Docker's HostConfig fields) and applied again on restart.
            let name = "\(t.prefix)-dev"
            #expect(try t.cli("run", "--name", name, "--device", "/dev/zero:/dev/myzero:r",
                              "--device-cgroup-rule", "c 240:* r", "busybox", "ls", "/dev/myzero").status == 0)
            let host = try #require(try ContainerLifecycleTests.inspect(t, name)["HostConfig"] as? [String: Any])
            let devices = host["Devices"] as? [[String: String]]
            #expect(devices == [["PathOnHost": "/dev/zero", "PathInContainer": "/dev/myzero", "CgroupPermissions": "r"]])
            #expect(host["DeviceCgroupRules"] as? [String] == ["c 240:* r"])
            #expect(try t.cli("start", name).status == 0)
            #expect(try t.cli("wait", name).stdout == "0\n")
            let logs = try t.cli("logs", name)
            #expect(logs.stdout == "/dev/myzero\n/dev/myzero\n", "\(logs.stdout)\(logs.stderr)")
        }
    }

    @Test func aCgroupRuleLetsTheContainerUseANodeItMakes() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let script = "mknod /tmp/d c 240 7 && cat /tmp/d"
            let without = try t.cli("run", "--rm", "busybox", "sh", "-c", script)
            #expect(without.status != 0)
            #expect(without.stderr.contains(Self.denied), "\(without.stderr)")
            let with = try t.cli("run", "--rm", "--device-cgroup-rule", "c 240:* r", "busybox", "sh", "-c", script)
            #expect(with.status != 0)
            #expect(with.stderr.contains(Self.passedCgroup), "\(with.stderr)")
            // Read only: writing the same node stays denied.
            let write = try t.cli("run", "--rm", "--device-cgroup-rule", "c 240:* r", "busybox", "sh", "-c",
                                  "mknod /tmp/d c 240 7 && echo x > /tmp/d")
            #expect(write.stderr.contains(Self.denied), "\(write.stderr)")
            let bad = try t.cli("run", "--rm", "--device-cgroup-rule", "c 240 r", "busybox", "true")
            #expect(bad.status == 125)
            #expect(bad.stderr.contains("invalid device cgroup format 'c 240 r'"), "\(bad.stderr)")
        }
    }

    @Test func aMissingHostDeviceIsAClearErrorThatLeavesNothing() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let r = try t.cli("run", "--name", "\(t.prefix)-missing", "--device", "/dev/berth-no-such-device:/dev/x",
                              "busybox", "true")
            #expect(r.status == 125)
            #expect(r.stderr.contains("error gathering device information while adding custom device \"/dev/berth-no-such-device\": no such file or directory"),
                    "\(r.stderr)")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
            let containers = (try? FileManager.default.contentsOfDirectory(atPath: "\(t.root)/containers")) ?? []
            #expect(containers.isEmpty, "\(containers)")
            let badMode = try t.cli("run", "--rm", "--device", "/dev/zero:/dev/z:rwx", "busybox", "true")
            #expect(badMode.status == 125)
            #expect(badMode.stderr.contains("bad mode specified: rwx"), "\(badMode.stderr)")
        }
    }

    @Test func composeDevicesAndCgroupRules() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let node = try Self.hostNode(t)
            let dir = t.directory.appendingPathComponent("devices")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try """
            services:
              app:
                image: busybox:latest
                command: ["sleep", "1000"]
                network_mode: none
                devices:
                  - /dev/zero:/dev/myzero:r
                  - source: \(node)
                    target: /dev/mydev
                    permissions: r
                device_cgroup_rules:
                  - "c 241:* r"
            """.write(to: dir.appendingPathComponent("compose.yaml"), atomically: true, encoding: .utf8)
            t.defer_("down") { _ = try t.compose(["down", "-t", "0"], in: dir) }
            let up = try t.compose(["up", "-d"], in: dir)
            #expect(up.status == 0, "\(up.stderr)")
            let ls = try t.compose(["compose", "exec", "-T", "app", "sh", "-c",
                                    "ls -ln /dev/myzero /dev/mydev; head -c 2 /dev/myzero | od; echo x > /dev/mydev"], in: dir)
            #expect(Self.listing(ls.stdout, "/dev/myzero") == ["crw-rw-rw-", "0", "0", "1,", "5"], "\(ls.stdout)")
            #expect(Self.listing(ls.stdout, "/dev/mydev") == ["crw-r-----", "123", "45", "240,", "7"], "\(ls.stdout)")
            #expect(ls.stdout.contains("0000000 000000\n"), "\(ls.stdout)")
            #expect(ls.stderr.contains(Self.denied), "\(ls.stderr)")
            let rule = try t.compose(["compose", "exec", "-T", "app", "sh", "-c", "mknod /tmp/d c 241 1 && cat /tmp/d"], in: dir)
            #expect(rule.stderr.contains(Self.passedCgroup), "\(rule.stderr)")
        }
    }

    @Test func composeMissingDeviceNamesTheServiceAndCreatesNoContainer() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let dir = t.directory.appendingPathComponent("missing")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try """
            services:
              bad:
                image: busybox:latest
                command: ["true"]
                network_mode: none
                devices: ["/dev/berth-no-such-device"]
            """.write(to: dir.appendingPathComponent("compose.yaml"), atomically: true, encoding: .utf8)
            t.defer_("down") { _ = try t.compose(["down", "-t", "0"], in: dir) }
            let up = try t.compose(["up", "-d"], in: dir)
            #expect(up.status != 0)
            #expect(up.stderr.contains("service \"bad\": error gathering device information while adding custom device \"/dev/berth-no-such-device\""),
                    "\(up.stderr)")
            #expect(try t.berth("ps", "-aq").stdout.isEmpty)
        }
    }
}
