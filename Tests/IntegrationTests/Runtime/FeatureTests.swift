import BerthTestSupport
import Diagnostics
import Foundation
import Runtime
import SystemCalls
import Testing

extension RuntimeIntegrationTests {
    @Test(.requiresKernel("overlay")) func overlayRootfsKeepsTheLowerLayerIntact() async throws {
        try await withTestRoot { t in
            let lower = try BusyboxRoot(in: t, name: "lower")
            let base = t.directory.path
            for d in ["upper", "work", "merged"] {
                try FileManager.default.createDirectory(atPath: "\(base)/\(d)", withIntermediateDirectories: true)
            }
            var plan = Harness.plan("echo new > /etc/created; rm /bin/cat; ls /bin/cat 2>/dev/null; echo done", root: lower, t: t)
            plan.rootfs = Rootfs(overlayAt: "\(base)/merged", lowerDirs: [lower.path], upperDir: "\(base)/upper", workDir: "\(base)/work")
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout == "done\n")
            #expect(FileManager.default.fileExists(atPath: "\(lower.path)/bin/cat"), "lower layer untouched")
            #expect((try? String(contentsOfFile: "\(base)/upper/etc/created", encoding: .utf8)) == "new\n")
            // The overlay lived in the container's mount namespace only.
            #expect(Harness.mounts(containing: "\(base)/merged").isEmpty)
        }
    }

    /// The terminal comes from the container's own devpts (runc's console
    /// socket): /dev/pts/0 inside, the controlling terminal, /dev/console,
    /// sized as asked; the master arrives in the parent.
    @Test func ttyIsAllocatedInTheContainersDevpts() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("""
            tty; stty size; ls /dev/pts | tr '\\n' ' '; echo
            [ "$(stat -c %t:%T /dev/console)" = "$(stat -c %t:%T /dev/pts/0)" ] && echo console-ok
            [ "$(cut -d' ' -f7 /proc/self/stat)" != 0 ] && echo ctty-ok
            exit 3
            """, root: root, t: t)
            plan.tty = true
            let spawned = try Launcher.spawn(plan, stdio: .terminal(WindowSize(rows: 31, cols: 97)))
            let master = spawned.ptyMaster
            #expect(master >= 0)
            let (_, raw) = try Sys.waitpid(spawned.pid)
            if let fd = spawned.pidfd { close(fd) }
            try spawned.cgroup?.destroy()
            var text = ""
            var buf = [UInt8](repeating: 0, count: 4096)
            while master >= 0 {
                let n = read(master, &buf, buf.count)
                if n <= 0 { break }   // EIO: the slave's last holder is gone
                text += String(decoding: buf[0..<n], as: UTF8.self)
            }
            if master >= 0 { close(master) }
            #expect(WaitStatus(raw: raw) == .exited(3))
            #expect(text.replacingOccurrences(of: "\r", with: "") == "/dev/pts/0\n31 97\n0 ptmx \nconsole-ok\nctty-ok\n", "\(text)")
        }
    }

    /// A process running as another user owns its terminal (runc's
    /// fixStdioPermissions), so `tty`-checking programs and `mesg` work.
    @Test func aNonRootProcessOwnsItsTerminal() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("id -u; stat -c %u $(tty)", root: root, t: t)
            plan.tty = true
            plan.user = ProcessUser(uid: 1000, gid: 1000)
            let spawned = try Launcher.spawn(plan, stdio: .terminal(.standard))
            let (_, raw) = try Sys.waitpid(spawned.pid)
            if let fd = spawned.pidfd { close(fd) }
            try spawned.cgroup?.destroy()
            var text = ""
            var buf = [UInt8](repeating: 0, count: 4096)
            while spawned.ptyMaster >= 0 {
                let n = read(spawned.ptyMaster, &buf, buf.count)
                if n <= 0 { break }
                text += String(decoding: buf[0..<n], as: UTF8.self)
            }
            if spawned.ptyMaster >= 0 { close(spawned.ptyMaster) }
            #expect(WaitStatus(raw: raw) == .exited(0), "\(text)")
            #expect(text.replacingOccurrences(of: "\r", with: "") == "1000\n1000\n", "\(text)")
        }
    }

    @Test func sysctlsRlimitsAndNoNewPrivileges() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("""
            cat /proc/sys/net/ipv4/ip_unprivileged_port_start
            cat /proc/sys/kernel/shmmni
            ulimit -n; ulimit -Hn
            grep NoNewPrivs /proc/self/status | cut -f2
            grep Seccomp: /proc/self/status | cut -f2
            """, root: root, t: t)
            plan.sysctls = [Sysctl(key: "net.ipv4.ip_unprivileged_port_start", value: "80"),
                            Sysctl(key: "kernel.shmmni", value: "1234")]
            plan.rlimits = [ResourceLimit(name: "nofile", soft: 321, hard: 654)]
            plan.noNewPrivileges = true
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.split(separator: "\n").map(String.init) == ["80", "1234", "321", "654", "1", "2"])
            // The host's values are untouched.
            #expect(try Sys.readFile("/proc/sys/kernel/shmmni").hasPrefix("4096"))
        }
    }

    @Test func seccompIsWhatBlocksUserNamespaces() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("unshare -U true && echo allowed; grep Seccomp: /proc/self/status | cut -f2", root: root, t: t)
            plan.seccomp = .unconfined
            let r = try Harness.run(plan)
            #expect(r.stdout == "allowed\n0\n", "\(r.stdout) \(r.stderr)")
            var json = plan
            json.seccomp = .profile(try SeccompProfile.parse(json: """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
                """))
            let r2 = try Harness.run(json)
            #expect(r2.stdout.contains("2\n") && !r2.stdout.contains("allowed"), "\(r2.stdout)")
            #expect(r2.stderr.contains("Permission denied"), "errnoRet 13 = EACCES: \(r2.stderr)")
        }
    }

    @Test func freezerPausesAndStatsAreRead() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let plan = Harness.plan("exec sleep 30", root: root, t: t)
            let spawned = try Launcher.spawn(plan, stdio: LaunchStdio())
            t.defer_("kill container") {
                try spawned.cgroup?.destroy()
                _ = try? Sys.waitpid(spawned.pid)
                if let fd = spawned.pidfd { close(fd) }
            }
            let cg = try #require(spawned.cgroup)
            #expect(cg.pids() == [spawned.pid])
            try cg.setFrozen(true)
            var state = ""
            for _ in 0..<100 {
                state = (try? Sys.readFile("\(cg.v1Paths["freezer"] ?? "")/freezer.state")) ?? ""
                if state.hasPrefix("FROZEN") { break }
                usleep(10_000)
            }
            #expect(state.hasPrefix("FROZEN"))
            try cg.setFrozen(false)
            let stats = cg.stats()
            #expect(stats.pids == 1)
            #expect((stats.memoryUsage ?? 0) > 0)
            #expect(!cg.oomKilled())
        }
    }

    @Test func missingBindSourceIsCreatedOnlyWhenAsked() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let src = t.directory.appendingPathComponent("made/here").path
            var plan = Harness.plan("touch /data/f", root: root, t: t)
            plan.mounts = [.bind(src, at: "/data")]
            #expect(throws: SystemError.self) { try Harness.run(plan) }
            #expect(!FileManager.default.fileExists(atPath: src))
            plan.mounts[0].createHostPath = true
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(src)/f"))
        }
    }
}

extension RuntimeIntegrationTests {
    @Test func initReapsForwardsSignalsAndPassesTheExitCode() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("echo $$; tr '\\0' ' ' </proc/1/cmdline; echo; (sleep 0.1 &); sleep 0.3; ls /proc | grep -c '^[0-9]'; exit 7", root: root, t: t)
            plan.initBinary = Repository.builtExecutable("berth-init").path
            let r = try Harness.run(plan)
            #expect(r.status == .exited(7), "\(r.stderr)")
            // The program is PID 2 under berth-init (mounted at /dev/init, nothing
            // in the image); the orphaned sleep was reaped (init, sh, ls, grep).
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(r.stdout)")
            #expect(lines.first == "2")
            #expect(lines.dropFirst().first?.hasPrefix("/dev/init -- /bin/sh -c echo") == true, "\(r.stdout)")
            #expect(lines.last == "4")
            #expect(!FileManager.default.fileExists(atPath: root.path + "/dev/init"))

            // A missing program still fails the start itself (127), not the init.
            var missing = Harness.plan("true", root: root, t: t)
            missing.argv = ["no-such-program"]
            missing.initBinary = plan.initBinary
            let failure = #expect(throws: SystemError.self) { try Harness.run(missing) }
            #expect(failure?.operation == "execve" && failure?.errno == ENOENT, "\(String(describing: failure))")

            var trapped = Harness.plan("trap 'exit 9' TERM; echo ready; while true; do sleep 0.05; done", root: root, t: t)
            trapped.initBinary = Repository.builtExecutable("berth-init").path
            let out = try Sys.pipe()
            let spawned = try Launcher.spawn(trapped, stdio: LaunchStdio(stdout: out.write.raw))
            out.write.close()
            var buf = [UInt8](repeating: 0, count: 6)
            _ = read(out.read.raw, &buf, 6)
            try Sys.kill(spawned.pid, SIGTERM)   // to PID 1 (init) from the host
            let (_, raw) = try Sys.waitpid(spawned.pid)
            if let fd = spawned.pidfd { close(fd) }
            try spawned.cgroup?.destroy()
            #expect(WaitStatus(raw: raw) == .exited(9), "init forwarded SIGTERM to the program")
        }
    }
}

extension RuntimeIntegrationTests {
    @Test func namespacesCanBeJoinedOrShared() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let first = Harness.plan("echo up; exec sleep 30", root: root, t: t)
            let out = try Sys.pipe()
            let a = try Launcher.spawn(first, stdio: LaunchStdio(stdout: out.write.raw))
            out.write.close()
            t.defer_("kill first container") {
                try a.cgroup?.destroy()
                _ = try? Sys.waitpid(a.pid)
                if let fd = a.pidfd { close(fd) }
            }
            var buf = [UInt8](repeating: 0, count: 3)
            _ = read(out.read.raw, &buf, 3)
            var second = Harness.plan("readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts", root: root, t: t)
            second.namespaces.net = .join(path: "/proc/\(a.pid)/ns/net")
            second.namespaces.ipc = .host
            second.namespaces.uts = .join(path: "/proc/\(a.pid)/ns/uts")
            second.hostname = nil
            let r = try Harness.run(second)
            #expect(r.status == .exited(0), "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines == [try Sys.readLink("/proc/\(a.pid)/ns/net"), try Sys.readLink("/proc/self/ns/ipc"),
                              try Sys.readLink("/proc/\(a.pid)/ns/uts")])
        }
    }
}

extension RuntimeIntegrationTests {
    @Test func devicesCgroupAllowsMknodButNotOpening() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let r = try Harness.run(Harness.plan("""
            mknod /tmp/blk b 7 0 && echo made
            head -c 1 /tmp/blk >/dev/null 2>&1; echo "open=$?"
            mknod /tmp/fuse c 10 229 && cat /tmp/fuse 2>&1 | head -1
            head -c 1 /dev/zero | wc -c
            """, root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "made")
            #expect(lines.contains("open=1"), "\(r.stdout)")
            #expect(r.stdout.contains("Operation not permitted"), "fuse stays denied: \(r.stdout)")
            #expect(lines.last == "1", "allowed devices still work")
        }
    }

    /// A racer flips the volume target between a directory and a symlink
    /// that tries to climb out; every start either mounts inside the rootfs
    /// or is refused, and the host never sees the volume.
    @Test func symlinkRaceOnTheMountTargetStaysInside() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let src = t.directory.appendingPathComponent("racesrc").path
            try Sys.mkdirAll(src)
            let marker = "race-\(t.prefix)"
            try "x".write(toFile: "\(src)/\(marker)", atomically: true, encoding: .utf8)
            let target = "\(root.path)/vol"
            let stop = LockedFlag()
            let racer = Thread {
                while !stop.isSet {
                    _ = mkdir(target, 0o755)
                    _ = rmdir(target)
                    _ = symlink("/../../../../etc", target)
                    _ = unlink(target)
                }
            }
            racer.start()
            var plan = Harness.plan("true", root: root, t: t)
            plan.mounts = [.bind(src, at: "/vol")]
            var started = 0
            // At least 30 starts against the racer; more (up to 300) until one of them
            // found the directory in place, so the test does not depend on luck.
            for attempt in 0..<300 {
                if (try? Harness.run(plan)) != nil { started += 1 }
                if attempt >= 29 && started > 0 { break }
            }
            stop.set()
            while !racer.isFinished { usleep(1000) }
            #expect(started > 0)
            #expect(!FileManager.default.fileExists(atPath: "/etc/\(marker)"))
            #expect(!FileManager.default.fileExists(atPath: "/\(marker)"))
            #expect(Harness.mounts(containing: "racesrc").isEmpty)
            #expect(Harness.mounts(containing: " /etc ").filter { $0.contains(t.prefix) }.isEmpty)
        }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

extension RuntimeIntegrationTests {
    @Test func etcFilesAreBoundFromTheCallersFiles() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            // The image tries to redirect /etc/hosts at the host's passwd: it stays inside.
            try FileManager.default.createSymbolicLink(atPath: "\(root.path)/etc/hosts", withDestinationPath: "/../../etc/group")
            let dir = t.directory.path
            try "127.0.0.1 localhost\n10.0.0.2 web\n".write(toFile: "\(dir)/hosts", atomically: true, encoding: .utf8)
            try "web\n".write(toFile: "\(dir)/hostname", atomically: true, encoding: .utf8)
            try "nameserver 10.0.0.1\n".write(toFile: "\(dir)/resolv.conf", atomically: true, encoding: .utf8)
            var plan = Harness.plan("cat /etc/hosts /etc/hostname /etc/resolv.conf; echo x >> /etc/resolv.conf; echo rc=$?",
                                    root: root, t: t)
            plan.rootfs.readonly = true
            plan.etcFiles = EtcFiles(hosts: "\(dir)/hosts", hostname: "\(dir)/hostname", resolvConf: "\(dir)/resolv.conf")
            let hostGroup = try Sys.readFile("/etc/group")
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout == "127.0.0.1 localhost\n10.0.0.2 web\nweb\nnameserver 10.0.0.1\nrc=0\n")
            #expect(try Sys.readFile("\(dir)/resolv.conf") == "nameserver 10.0.0.1\nx\n", "writable like Docker's")
            #expect(try Sys.readFile("/etc/group") == hostGroup)
        }
    }
}

extension RuntimeIntegrationTests {
    struct HookFailure: Error {}

    @Test func failuresBeforeStartLeaveNothingBehind() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let plan = Harness.plan("true", root: root, t: t)
            // The hook throws: the child is killed and reaped, the cgroup removed.
            var seen: Int32 = 0
            #expect(throws: HookFailure.self) {
                _ = try Launcher.spawn(plan, stdio: LaunchStdio()) { pid in
                    seen = pid
                    throw HookFailure()
                }
            }
            #expect(seen > 0 && kill(seen, 0) == -1, "child reaped")
            // The child dies before it is released: an error, not SIGPIPE in the caller.
            #expect(throws: SystemError.self) {
                _ = try Launcher.spawn(plan, stdio: LaunchStdio()) { pid in
                    try Sys.kill(pid, SIGKILL)
                    usleep(20_000)
                }
            }
            #expect(Harness.cgroups(containing: t.prefix).isEmpty)
        }
    }
}

extension RuntimeIntegrationTests {
    /// CVE-2019-5736: until execve the container's first process is a copy of
    /// the host binary that started it. A process of another container
    /// sharing its pid namespace sees it as PID 1 but can neither read nor
    /// open its /proc/1/exe. (While the child still holds more capabilities
    /// than the peeker, the kernel's capability check alone refuses this;
    /// after the child's capset, its being non-dumpable is what keeps the
    /// refusal — that later window is not reachable from a test.)
    @Test func hostBinaryIsUnreachableBeforeExec() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var observed: RunResult?
            var first = Harness.plan("true", root: root, t: t)
            first.cgroup = nil
            let spawned = try Launcher.spawn(first, stdio: LaunchStdio()) { pid in
                var peek = Harness.plan("""
                readlink /proc/1/exe >/dev/null 2>&1; echo "readlink=$?"
                cat /proc/1/exe >/dev/null 2>&1; echo "read=$?"
                echo x >> /proc/1/exe 2>/dev/null; echo "write=$?"
                """, root: root, t: t)
                peek.namespaces.pid = .join(path: "/proc/\(pid)/ns/pid")
                observed = try Harness.run(peek)
            }
            let (_, raw) = try Sys.waitpid(spawned.pid)
            if let fd = spawned.pidfd { close(fd) }
            #expect(WaitStatus(raw: raw) == .exited(0))
            let out = observed?.stdout ?? ""
            #expect(out == "readlink=1\nread=1\nwrite=1\n", "\(out) \(observed?.stderr ?? "")")
        }
    }
}

extension RuntimeIntegrationTests {
    @Test func ownCgroupIsVisibleReadOnly() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("""
            cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            cat /proc/self/cgroup | grep -c ':/$'
            echo 1 > /sys/fs/cgroup/pids/pids.max 2>/dev/null; echo "write=$?"
            mkdir /sys/fs/cgroup/memory/sub 2>/dev/null; echo "mkdir=$?"
            touch /sys/fs/cgroup/x 2>/dev/null; echo "tmpfs=$?"
            ls /sys/fs/cgroup/memory | grep -c release_agent
            cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus
            """, root: root, t: t)
            plan.cgroup?.limits.memory = 48 << 20
            plan.cgroup?.limits.pidsLimit = 33
            plan.cgroup?.limits.cpus = 0.5
            plan.cgroup?.limits.cpuShares = 512
            plan.cgroup?.limits.cpusetCpus = "0"
            let r = try Harness.run(plan)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.prefix(2) == ["50331648", "33"], "\(r.stdout) \(r.stderr)")
            #expect((Int(lines.count > 2 ? lines[2] : "") ?? 0) >= 8, "every hierarchy is rooted at the container: \(r.stdout)")
            #expect(lines.suffix(7) == ["write=1", "mkdir=1", "tmpfs=1", "0", "50000", "512", "0"], "\(r.stdout)")
        }
    }
}

extension RuntimeIntegrationTests {
    /// `Cgroup.destroy` on a cgroup still in use (its leaves refuse the
    /// quick removal): what runs inside is killed and the leaves go.
    @Test func destroyKillsWhatIsStillRunningAndRemovesTheLeaves() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let plan = Harness.plan("sleep 100 & sleep 100", root: root, t: t)
            let spawned = try Launcher.spawn(plan, stdio: LaunchStdio())
            defer { if let fd = spawned.pidfd { close(fd) } }
            let cgroup = try #require(spawned.cgroup)
            #expect(!Harness.cgroups(containing: t.prefix).isEmpty)
            try cgroup.destroy()
            let (_, raw) = try Sys.waitpid(spawned.pid)
            #expect(WaitStatus(raw: raw) == .signaled(SIGKILL))
            #expect(Harness.cgroups(containing: t.prefix).isEmpty)
        }
    }
}
