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

    @Test func ttyBecomesControllingTerminalAndConsole() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let pty = try Sys.openPTY()
            let master = pty.master.raw
            let slave = pty.slave.release()
            var plan = Harness.plan("test -t 0 && echo tty-ok; stat -c '%t:%T' /dev/console; echo $TERM; exit 3", root: root, t: t)
            plan.tty = true
            plan.env.append("TERM=xterm")
            let spawned = try Launcher.spawn(plan, stdio: .pty(slave: slave))
            close(slave)
            let (_, raw) = try Sys.waitpid(spawned.pid)
            if let fd = spawned.pidfd { close(fd) }
            try spawned.cgroup?.destroy()
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(master, &buf, buf.count)
            let text = String(decoding: buf[0..<max(0, n)], as: UTF8.self)
            #expect(WaitStatus(raw: raw) == .exited(3))
            #expect(text.contains("tty-ok"), "\(text)")
            #expect(text.contains("88:") || text.contains("136:"), "console is the pty slave: \(text)")
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
