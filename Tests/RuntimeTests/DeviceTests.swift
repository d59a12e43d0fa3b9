import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Testing
@testable import Runtime

@Suite struct DeviceMappingParseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: String
        var expected: DeviceMapping?
        var error: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "host only", spec: "/dev/fuse", expected: DeviceMapping(hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rwm")),
        Case(name: "host and container", spec: "/dev/sda:/dev/xvda",
             expected: DeviceMapping(hostPath: "/dev/sda", containerPath: "/dev/xvda", permissions: "rwm")),
        Case(name: "all three", spec: "/dev/sda:/dev/xvda:r",
             expected: DeviceMapping(hostPath: "/dev/sda", containerPath: "/dev/xvda", permissions: "r")),
        Case(name: "mode in the middle (Docker)", spec: "/dev/zero:rw",
             expected: DeviceMapping(hostPath: "/dev/zero", containerPath: "/dev/zero", permissions: "rw")),
        Case(name: "any order of rwm", spec: "/dev/zero:/z:mwr",
             expected: DeviceMapping(hostPath: "/dev/zero", containerPath: "/z", permissions: "mwr")),
        Case(name: "bad mode", spec: "/dev/sda:/dev/xvda:rwx",
             error: "invalid device specification: /dev/sda:/dev/xvda:rwx: bad mode specified: rwx"),
        Case(name: "repeated mode letter", spec: "/dev/sda:/dev/xvda:rr",
             error: "invalid device specification: /dev/sda:/dev/xvda:rr: bad mode specified: rr"),
        Case(name: "relative container path", spec: "/dev/sda:xvda",
             error: "invalid device specification: /dev/sda:xvda: xvda is not an absolute path"),
        Case(name: "relative host path", spec: "sda", error: "invalid device specification: sda: sda is not an absolute path"),
        Case(name: "dot-dot in the container path", spec: "/dev/sda:/dev/../etc/x",
             error: "invalid device specification: /dev/sda:/dev/../etc/x: /dev/../etc/x must not contain \"..\""),
        Case(name: "four parts", spec: "/a:/b:r:x", error: "invalid device specification: /a:/b:r:x"),
        Case(name: "empty", spec: "", error: "invalid device specification: "),
    ]

    @Test(arguments: cases) func parsesLikeDocker(_ c: Case) {
        do {
            let m = try DeviceMapping.parse(c.spec)
            #expect(c.error == nil, "parsed as \(m)")
            #expect(m == c.expected)
        } catch {
            #expect(error.message == c.error)
        }
    }
}

@Suite struct DeviceCgroupRuleParseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: [String]?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "major with any minor", text: "c 42:* rmw", expected: ["c 42:* rmw"]),
        Case(name: "block device", text: "b 8:0 r", expected: ["b 8:0 r"]),
        Case(name: "any major", text: "c *:5 m", expected: ["c *:5 m"]),
        Case(name: "all devices", text: "a *:* rwm", expected: ["a"]),
        Case(name: "all devices, read only: one rule per type", text: "a *:* r", expected: ["c *:* r", "b *:* r"]),
        Case(name: "bad type", text: "x 1:2 r", expected: nil),
        Case(name: "bad access", text: "c 1:2 rx", expected: nil),
        Case(name: "missing access", text: "c 1:2", expected: nil),
        Case(name: "two spaces", text: "c  1:2 r", expected: nil),
        Case(name: "no minor", text: "c 1 r", expected: nil),
        Case(name: "negative", text: "c -1:2 r", expected: nil),
        Case(name: "a with numbers", text: "a 1:2 r", expected: nil),
    ]

    @Test(arguments: cases) func parsesDockersSyntax(_ c: Case) {
        do {
            let rules = try DeviceRule.parse(c.text)
            #expect(rules.map(\.description) == c.expected)
            #expect(rules.allSatisfy { $0.allow })
        } catch {
            #expect(c.expected == nil)
            #expect(error.message == "invalid device cgroup format '\(c.text)'")
        }
    }
}

@Suite struct DeviceResolveTests {
    @Test func aCharDeviceBecomesANodeWithItsNumbersModeAndOwner() throws {
        let nodes = try DeviceMapping(hostPath: "/dev/null", containerPath: "/dev/mynull", permissions: "r").resolve()
        var st = stat()
        #expect(stat("/dev/null", &st) == 0)
        #expect(nodes == [DeviceNode(path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: UInt32(st.st_mode & 0o7777),
                                     uid: st.st_uid, gid: st.st_gid, permissions: "r")])
        #expect(nodes[0].rule.description == "c 1:3 r")
    }

    @Test func aMissingHostDeviceIsAClearError() {
        #expect(throws: DeviceSpecError(
            "error gathering device information while adding custom device \"/dev/berth-no-such-device\": no such file or directory (ENOENT)")) {
            try DeviceMapping(hostPath: "/dev/berth-no-such-device").resolve()
        }
    }

    @Test func aRegularFileIsNotADevice() {
        #expect(throws: DeviceSpecError(
            "error gathering device information while adding custom device \"/etc/hostname\": not a device node")) {
            try DeviceMapping(hostPath: "/etc/hostname").resolve()
        }
    }

    @Test func aDirectoryGivesTheDevicesUnderIt() throws {
        // /dev itself: every node keeps its name under the container path.
        let nodes = try DeviceMapping(hostPath: "/dev", containerPath: "/hostdev").resolve()
        #expect(nodes.contains { $0.path == "/hostdev/null" && $0.major == 1 && $0.minor == 3 })
        #expect(nodes.allSatisfy { $0.path.hasPrefix("/hostdev/") && ($0.type == "c" || $0.type == "b") })
    }

    @Test func hostDevicesLeaveOutWhatTheContainerMakesItself() {
        let nodes = DeviceMapping.hostDevices()
        let paths = Set(nodes.map(\.path))
        for own in ["/dev/null", "/dev/zero", "/dev/tty", "/dev/ptmx", "/dev/console", "/dev/urandom"] {
            #expect(!paths.contains(own), "\(own)")
        }
        #expect(!paths.contains { $0.hasPrefix("/dev/pts/") || $0.hasPrefix("/dev/shm/") })
        #expect(nodes.allSatisfy { $0.permissions == "rwm" })
        if Sys.exists("/dev/kmsg") { #expect(paths.contains("/dev/kmsg")) }
    }

    @Test func devNumbersSplitLikeGlibc() {
        // makedev(259, 70000) with glibc's layout.
        let dev: UInt64 = ((259 & 0xfff) << 8) | ((259 & ~0xfff) << 32) | (70000 & 0xff) | ((70000 & ~0xff) << 12)
        #expect(DeviceNode.major(of: dev) == 259)
        #expect(DeviceNode.minor(of: dev) == 70000)
    }
}

@Suite struct DevicePlanTests {
    @Test func devicesAndRulesReachThePlanAndTheCgroup() throws {
        var o = ContainerOverrides()
        o.cgroupName = "x"
        o.devices = [DeviceNode(path: "/dev/myzero", type: "c", major: 1, minor: 5, permissions: "r")]
        o.deviceCgroupRules = try DeviceRule.parse("c 42:* rmw")
        let plan = try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                       rootfs: Rootfs(directory: "/tmp"), users: UserDatabase())
        #expect(plan.devices == o.devices)
        let rules = try #require(plan.cgroup?.limits.devices)
        #expect(Array(rules.prefix(DeviceRule.dockerDefault.count)) == DeviceRule.dockerDefault)
        #expect(rules.suffix(2).map(\.description) == ["c 1:5 r", "c 42:* rmw"])
    }

    @Test func aBindMountOfDevMeansNoNodes() throws {
        var o = ContainerOverrides()
        o.devices = [DeviceNode(path: "/dev/myzero", type: "c", major: 1, minor: 5)]
        o.mounts = [.bind("/dev", at: "/dev/")]
        let plan = try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                       rootfs: Rootfs(directory: "/tmp"), users: UserDatabase())
        #expect(plan.devices.isEmpty)
        o.mounts = [.bind("/dev", at: "/hostdev")]
        #expect(try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                    rootfs: Rootfs(directory: "/tmp"), users: UserDatabase()).devices == o.devices)
    }

    @Test func privilegedAllowsEverythingWhateverTheDevices() throws {
        var o = ContainerOverrides()
        o.cgroupName = "x"
        o.privileged = true
        o.devices = [DeviceNode(path: "/dev/myzero", type: "c", major: 1, minor: 5, permissions: "r")]
        let plan = try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                       rootfs: Rootfs(directory: "/tmp"), users: UserDatabase())
        #expect(plan.cgroup?.limits.devices.map(\.description) == ["a"])
    }

    @Test func recordKeepsDevicesThroughJSONAndOlderRecordsHaveNone() throws {
        var r = ContainerLookupTests.record(ContainerStore.newID(), "dev")
        r.host.devices = [DeviceMapping(hostPath: "/dev/zero", containerPath: "/dev/myzero", permissions: "r")]
        r.host.deviceCgroupRules = ["c 42:* rmw"]
        let text = try RecordCoding.encode(r).pretty()
        let back = try RecordCoding.decode(ContainerRecord.self, from: text)
        #expect(back == r)
        #expect(back.host.devices?.first?.containerPath == "/dev/myzero")

        var old = r
        old.host.devices = nil
        old.host.deviceCgroupRules = nil
        let oldText = try RecordCoding.encode(old).pretty()
        #expect(!oldText.contains("devices"))
        #expect(try RecordCoding.decode(ContainerRecord.self, from: oldText).host.devices == nil)
    }
}
