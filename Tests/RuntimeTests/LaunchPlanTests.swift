@testable import Runtime
import Testing

@Suite struct LaunchPlanTests {
    static let users = UserDatabase.parse(passwd: """
        root:x:0:0:root:/root:/bin/sh
        # comment
        app:x:1000:1001:App:/home/app:/bin/sh
        broken line
        www-data:x:33:33::/var/www:/usr/sbin/nologin
        """, group: """
        root:x:0:
        app:x:1001:
        audio:x:29:app,www-data
        staff:x:50: app
        wheel:x:10:root
        """)

    struct UserCase: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: String
        var groupAdd: [String] = []
        var expected: ProcessUser?
        var home: String = "/"
        var testDescription: String { name }
    }

    @Test(arguments: [
        UserCase(name: "empty is root", spec: "", expected: ProcessUser(uid: 0, gid: 0, additionalGids: [10]), home: "/root"),
        UserCase(name: "name", spec: "app", expected: ProcessUser(uid: 1000, gid: 1001, additionalGids: [29, 50]), home: "/home/app"),
        UserCase(name: "uid in passwd", spec: "33", expected: ProcessUser(uid: 33, gid: 33, additionalGids: [29]), home: "/var/www"),
        UserCase(name: "uid not in passwd", spec: "4242", expected: ProcessUser(uid: 4242, gid: 0)),
        UserCase(name: "uid:gid", spec: "4242:4343", expected: ProcessUser(uid: 4242, gid: 4343)),
        UserCase(name: "name:group", spec: "app:staff", expected: ProcessUser(uid: 1000, gid: 50, additionalGids: [29, 50]), home: "/home/app"),
        UserCase(name: "group_add by name and id", spec: "4242", groupAdd: ["audio", "77"], expected: ProcessUser(uid: 4242, gid: 0, additionalGids: [29, 77])),
        UserCase(name: "unknown name", spec: "ghost", expected: nil),
        UserCase(name: "unknown group", spec: "app:ghosts", expected: nil),
    ])
    func userResolution(_ c: UserCase) throws {
        if let expected = c.expected {
            let (user, home) = try Self.users.resolve(c.spec, additionalGroups: c.groupAdd)
            #expect(user == expected)
            #expect(home == c.home)
        } else {
            #expect(throws: LaunchPlanError.self) { try Self.users.resolve(c.spec, additionalGroups: c.groupAdd) }
        }
    }

    struct CommandCase: CustomTestStringConvertible, Sendable {
        var name: String
        var entrypoint: [String]?
        var cmd: [String]?
        var overrideEntrypoint: CommandForm?
        var overrideCommand: CommandForm?
        var expected: [String]?
        var testDescription: String { name }
    }

    @Test(arguments: [
        CommandCase(name: "cmd only", cmd: ["nginx", "-g", "daemon off;"], expected: ["nginx", "-g", "daemon off;"]),
        CommandCase(name: "entrypoint + cmd", entrypoint: ["docker-entrypoint.sh"], cmd: ["postgres"],
                    expected: ["docker-entrypoint.sh", "postgres"]),
        CommandCase(name: "command replaces cmd", entrypoint: ["ep"], cmd: ["a"], overrideCommand: .exec(["b", "c"]),
                    expected: ["ep", "b", "c"]),
        CommandCase(name: "--entrypoint resets cmd", entrypoint: ["ep"], cmd: ["a"], overrideEntrypoint: .exec(["/bin/sh"]),
                    expected: ["/bin/sh"]),
        CommandCase(name: "--entrypoint with command", entrypoint: ["ep"], cmd: ["a"], overrideEntrypoint: .exec(["sh"]),
                    overrideCommand: .exec(["-c", "true"]), expected: ["sh", "-c", "true"]),
        CommandCase(name: "shell form", cmd: ["x"], overrideCommand: .shell("echo $HOME && ls"),
                    expected: ["/bin/sh", "-c", "echo $HOME && ls"]),
        CommandCase(name: "empty --entrypoint and no cmd", entrypoint: ["ep"], overrideEntrypoint: .exec([]), expected: nil),
        CommandCase(name: "nothing at all", expected: nil),
    ])
    func commandRules(_ c: CommandCase) throws {
        var o = ContainerOverrides()
        o.entrypoint = c.overrideEntrypoint
        o.command = c.overrideCommand
        let image = ImageProcessConfig(entrypoint: c.entrypoint, cmd: c.cmd)
        if let expected = c.expected {
            let plan = try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: Self.users)
            #expect(plan.argv == expected)
        } else {
            #expect(throws: LaunchPlanError.self) {
                try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: Self.users)
            }
        }
    }

    @Test func environmentWorkdirAndUser() throws {
        let image = ImageProcessConfig(cmd: ["run"], env: ["PATH=/app/bin:/usr/bin", "LANG=C", "MODE=image"],
                                       workingDir: "srv", user: "app")
        var o = ContainerOverrides()
        o.env = ["MODE=override", "LANG", "EXTRA=a=b"]
        o.hostname = "web"
        o.tty = true
        let plan = try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: Self.users)
        #expect(plan.env == ["PATH=/app/bin:/usr/bin", "MODE=override", "HOSTNAME=web", "TERM=xterm", "EXTRA=a=b", "HOME=/home/app"])
        #expect(plan.cwd == "/srv")
        #expect(plan.user == ProcessUser(uid: 1000, gid: 1001, additionalGids: [29, 50]))
        #expect(plan.pathVariable == "/app/bin:/usr/bin")
        #expect(plan.seccomp == .dockerDefault)
        #expect(plan.capabilities == ProcessCapabilities(.dockerDefault))
        #expect(plan.maskedPaths.contains("/proc/kcore") && plan.readonlyPaths.contains("/proc/sys"))
    }

    @Test func defaultsPathAndPrivileged() throws {
        var o = ContainerOverrides()
        o.privileged = true
        o.cgroupName = "c1"
        o.readOnly = true
        let plan = try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                       rootfs: Rootfs(directory: "/r"), users: UserDatabase())
        #expect(plan.env.first == LaunchPlan.defaultEnv[0])
        #expect(plan.env.contains("HOME=/"))
        #expect(plan.capabilities.effective == .full)
        #expect(plan.seccomp == .unconfined)
        #expect(plan.maskedPaths.isEmpty && plan.readonlyPaths.isEmpty)
        #expect(plan.rootfs.readonly)
        #expect(plan.cgroup?.limits.devices.map(\.description) == ["a"])
    }

    @Test func privilegedGetsOnlyWhatThisHostLetsBerthGrant() throws {
        var o = ContainerOverrides()
        o.privileged = true
        // A host whose bounding set lacks CAP_SYS_RESOURCE (bit 24), as this CI machine's does.
        o.grantable = CapabilitySet(mask: CapabilitySet.full.mask & ~(UInt64(1) << 24))
        let plan = try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                       rootfs: Rootfs(directory: "/r"), users: UserDatabase())
        #expect(plan.capabilities.effective.mask == o.grantable.mask)
        #expect(plan.capabilities.bounding.mask == o.grantable.mask)
        #expect(!plan.capabilities.permitted.contains(Capability(name: "SYS_RESOURCE")!))
    }

    struct RejectCase: CustomTestStringConvertible, Sendable {
        var name: String
        var apply: @Sendable (inout ContainerOverrides) -> Void
        var testDescription: String { name }
    }

    @Test(arguments: [
        RejectCase(name: "unknown capability") { $0.capAdd = ["NET_FLY"] },
        RejectCase(name: "non-namespaced sysctl") { $0.sysctls = [Sysctl(key: "kernel.panic", value: "1")] },
        RejectCase(name: "unknown ulimit") { $0.ulimits = [ResourceLimit(name: "files", soft: 1, hard: 1)] },
        RejectCase(name: "workdir with ..") { $0.workingDir = "/a/../../etc" },
        RejectCase(name: "unknown user") { $0.user = "nobody-here" },
    ])
    func invalidOverridesAreRejected(_ c: RejectCase) {
        var o = ContainerOverrides()
        c.apply(&o)
        #expect(throws: LaunchPlanError.self) {
            try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: o,
                                rootfs: Rootfs(directory: "/r"), users: Self.users)
        }
    }

    @Test func sysctlNamespacingAndPaths() {
        #expect(Sysctl.isNamespaced("net.ipv4.ip_forward"))
        #expect(Sysctl.isNamespaced("kernel.shmmax"))
        #expect(Sysctl.isNamespaced("fs.mqueue.msg_max"))
        #expect(!Sysctl.isNamespaced("kernel.hostname"))
        #expect(!Sysctl.isNamespaced("vm.swappiness"))
        #expect(Sysctl(key: "net.ipv4.ip_forward", value: "1").procPath == "net/ipv4/ip_forward")
    }

    @Test func containerPathsAreCleanedOrRefused() throws {
        #expect(try PathRules.containerPath("/a//b/./c/") == "/a/b/c")
        #expect(try PathRules.containerPath("/") == "/")
        #expect(throws: LaunchPlanError.self) { try PathRules.containerPath("relative") }
        #expect(throws: LaunchPlanError.self) { try PathRules.containerPath("/a/../b") }
    }

    @Test func overlayData() {
        let r = Rootfs(overlayAt: "/run/x/rootfs", lowerDirs: ["/l2", "/l1"], upperDir: "/u", workDir: "/w")
        #expect(r.overlayData == "lowerdir=/l2:/l1,upperdir=/u,workdir=/w")
        #expect(Rootfs(directory: "/d").overlayData == nil)
    }
}


@Suite struct LaunchPlanStopSignalTests {
    @Test func stopSignalFromOverrideOrImage() throws {
        var o = ContainerOverrides()
        let image = ImageProcessConfig(cmd: ["true"], stopSignal: "SIGQUIT")
        #expect(try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: UserDatabase()).stopSignal == 3)
        o.stopSignal = "9"
        #expect(try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: UserDatabase()).stopSignal == 9)
        o.stopSignal = "SIGBOGUS"
        #expect(throws: LaunchPlanError.self) {
            try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: Rootfs(directory: "/r"), users: UserDatabase())
        }
        #expect(try LaunchPlan.make(imageConfig: ImageProcessConfig(cmd: ["true"]), overrides: ContainerOverrides(),
                                    rootfs: Rootfs(directory: "/r"), users: UserDatabase()).stopSignal == 15)
    }
}
