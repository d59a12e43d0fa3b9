import BerthTestSupport
import Diagnostics
import Foundation
import Runtime
import SystemCalls
import Testing

extension RuntimeIntegrationTests {
    @Test func userSwitchingSetsUidGidAndGroups() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("id -u; id -g; id -G; grep -E '^Cap(Eff|Prm)' /proc/self/status | cut -f2", root: root, t: t)
            plan.user = ProcessUser(uid: 1000, gid: 1000, additionalGids: [29, 50])
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.split(separator: "\n").map(String.init) ==
                    ["1000", "1000", "1000 29 50", "0000000000000000", "0000000000000000"])
        }
    }

    @Test func readOnlyRootfs() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("touch /x 2>&1; echo \"root=$?\"; touch /dev/shm/x; echo \"shm=$?\"", root: root, t: t)
            plan.rootfs.readonly = true
            let r = try Harness.run(plan)
            #expect(r.stdout.contains("Read-only file system"), "\(r.stdout)")
            #expect(r.stdout.contains("root=1") && r.stdout.contains("shm=0"), "\(r.stdout)")
            #expect(!FileManager.default.fileExists(atPath: "\(root.path)/x"))
        }
    }

    @Test func bindMountsReadOnlyAndReadWrite() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let rw = t.directory.appendingPathComponent("rw").path, ro = t.directory.appendingPathComponent("ro").path
            try FileManager.default.createDirectory(atPath: rw, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
            try "hello".write(toFile: "\(ro)/greeting", atomically: true, encoding: .utf8)
            var plan = Harness.plan("""
            cat /data/ro/greeting; echo
            echo written > /data/rw/out; echo "rw=$?"
            echo no > /data/ro/out 2>/dev/null; echo "ro=$?"
            df /scratch >/dev/null; grep ' /scratch ' /proc/self/mountinfo | grep -c 'size=1024k,mode=700'
            """, root: root, t: t)
            plan.mounts = [.bind(rw, at: "/data/rw"), .bind(ro, at: "/data/ro", readonly: true, propagation: .rprivate),
                           .tmpfs(at: "/scratch", size: 1 << 20, mode: 0o700)]
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.split(separator: "\n").map(String.init) == ["hello", "rw=0", "ro=1", "1"])
            #expect((try? String(contentsOfFile: "\(rw)/out", encoding: .utf8)) == "written\n")
            #expect(!FileManager.default.fileExists(atPath: "\(ro)/out"))
        }
    }

    struct EscapeCase: CustomTestStringConvertible, Sendable {
        var name: String
        /// Symlinks created in the rootfs (path → link text); the volume targets /vol.
        var links: [(String, String)]
        /// Where the volume must appear inside the container (nil = refused).
        var visibleAt: String?
        var testDescription: String { name }
    }

    static let escapeCases = [
        EscapeCase(name: "absolute /", links: [("vol", "/")], visibleAt: nil),
        EscapeCase(name: "relative ../../..", links: [("vol", "../../..")], visibleAt: nil),
        EscapeCase(name: "chain to /", links: [("vol", "hop"), ("hop", "/etc/../..")], visibleAt: nil),
        EscapeCase(name: "absolute /tmp", links: [("vol", "/tmp")], visibleAt: "/tmp"),
        EscapeCase(name: "relative ../../../tmp", links: [("vol", "../../../tmp")], visibleAt: "/tmp"),
        EscapeCase(name: "missing /srv/data", links: [("vol", "/srv/data")], visibleAt: "/srv/data"),
    ]

    @Test(arguments: escapeCases) func volumeTargetSymlinkStaysInsideTheRootfs(_ c: EscapeCase) async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            for (path, link) in c.links {
                try FileManager.default.createSymbolicLink(atPath: "\(root.path)/\(path)", withDestinationPath: link)
            }
            let src = t.directory.appendingPathComponent("volsrc").path
            try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
            let marker = "marker-\(t.prefix)"
            try "x".write(toFile: "\(src)/\(marker)", atomically: true, encoding: .utf8)
            var plan = Harness.plan("ls \(c.visibleAt ?? "/")", root: root, t: t)
            plan.mounts = [.bind(src, at: "/vol")]
            if let visibleAt = c.visibleAt {
                let r = try Harness.run(plan)
                #expect(r.status == .exited(0), "\(r.stderr)")
                #expect(r.stdout.contains(marker), "volume visible at \(visibleAt) inside: \(r.stdout)")
            } else {
                #expect(throws: SystemError.self) { try Harness.run(plan) }
            }
            #expect(!FileManager.default.fileExists(atPath: "/\(marker)"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"))
            #expect(Harness.mounts(containing: "volsrc").isEmpty)
        }
    }

    /// A target whose last component is missing, below a parent that is a
    /// symlink climbing out of the rootfs: made in the parent as resolved
    /// inside the root (here /tmp), never on the host.
    @Test func missingTargetBelowAnEscapingSymlinkIsMadeInsideTheRootfs() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            try FileManager.default.createSymbolicLink(atPath: "\(root.path)/data", withDestinationPath: "../../../tmp")
            let src = t.directory.appendingPathComponent("volsrc").path
            try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
            let marker = "marker-\(t.prefix)"
            try "x".write(toFile: "\(src)/\(marker)", atomically: true, encoding: .utf8)
            let made = "made-\(t.prefix)"
            var plan = Harness.plan("ls /tmp/\(made)", root: root, t: t)
            plan.mounts = [.bind(src, at: "/data/\(made)")]
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.contains(marker), "volume at /tmp/\(made) inside: \(r.stdout)")
            #expect(FileManager.default.fileExists(atPath: "\(root.path)/tmp/\(made)"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(made)"))
            #expect(Harness.mounts(containing: "volsrc").isEmpty)
        }
    }

    @Test func memoryLimitOOMKillsAndIsReported() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            // Fill a tmpfs-backed shell variable well past the limit.
            var plan = Harness.plan("x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo survived", root: root, t: t)
            plan.cgroup?.limits.memory = 16 << 20
            plan.cgroup?.limits.memorySwap = 16 << 20
            let r = try Harness.run(plan)
            #expect(r.status.exitCode == 137, "\(r.status) \(r.stdout)")
            #expect(r.oomKilled)
        }
    }

    @Test func pidsLimitContainsAForkLoop() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("""
            sh -c 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done' 2>/dev/null
            echo spawned; exec sleep 5
            """, root: root, t: t)
            plan.cgroup?.limits.pidsLimit = 10
            let out = try Sys.pipe()
            let spawned = try Launcher.spawn(plan, stdio: LaunchStdio(stdout: out.write.raw))
            out.write.close()
            t.defer_("kill container") {
                try spawned.cgroup?.destroy()
                _ = try? Sys.waitpid(spawned.pid)
                if let fd = spawned.pidfd { close(fd) }
            }
            var buf = [UInt8](repeating: 0, count: 8)
            _ = read(out.read.raw, &buf, 8)
            let count = spawned.cgroup?.pids().count ?? 0
            #expect(count >= 5 && count <= 10, "\(count) processes in the cgroup")
            #expect(spawned.cgroup?.stats().pids.map { $0 <= 10 } == true)
        }
    }

    @Test func execJoinsTheContainer() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let plan = Harness.plan("echo ready; exec sleep 30", root: root, t: t)
            let out = try Sys.pipe()
            let spawned = try Launcher.spawn(plan, stdio: LaunchStdio(stdout: out.write.raw))
            out.write.close()
            t.defer_("kill container") {
                try? Sys.kill(spawned.pid, SIGKILL)
                _ = try? Sys.waitpid(spawned.pid)
                if let fd = spawned.pidfd { close(fd) }
                try spawned.cgroup?.destroy()
            }
            var buf = [UInt8](repeating: 0, count: 6)
            _ = read(out.read.raw, &buf, 6)
            let eout = try Sys.pipe()
            var exec = ExecPlan(argv: ["sh", "-c", "echo $$; hostname; readlink /proc/self/ns/mnt; cat /proc/1/cmdline | tr '\\0' ' '; echo; grep CapEff /proc/self/status | cut -f2; id -u; grep Seccomp: /proc/self/status | cut -f2; readlink /proc/self/ns/cgroup"],
                                sameAs: plan, cgroup: spawned.cgroup)
            exec.user = ProcessUser(uid: 1000, gid: 1000)
            let pid = try Launcher.exec(into: spawned.pid, plan: exec, stdio: LaunchStdio(stdout: eout.write.raw)).pid
            eout.write.close()
            let text = Harness.readAll(eout.read.raw)
            let (_, status) = try Sys.waitpid(pid)
            #expect(WaitStatus(raw: status) == .exited(0))
            // `exec -w /proc/self/fd/N` cannot reach a host directory either.
            for n in [3, 4, 5] {
                var escape = ExecPlan(argv: ["ls"], sameAs: plan, cgroup: spawned.cgroup)
                escape.cwd = "/proc/self/fd/\(n)"
                #expect(throws: SystemError.self) { try Launcher.exec(into: spawned.pid, plan: escape, stdio: LaunchStdio()) }
            }
            let lines = text.split(separator: "\n").map(String.init)
            let containerMnt = try Sys.readLink("/proc/\(spawned.pid)/ns/mnt")
            #expect(lines.count == 8, "\(text)")
            if lines.count == 8 {
                #expect((Int(lines[0]) ?? 0) > 1, "a pid in the container's namespace")
                #expect(lines[1] == "ctr-\(t.prefix)")
                #expect(lines[2] == containerMnt)
                #expect(lines[3] == "sleep 30 ")
                #expect(lines[4] == "0000000000000000", "non-root user has no effective caps")
                #expect(lines[5] == "1000")
                #expect(lines[6] == "2", "the container's seccomp filter applies to exec too")
                #expect(lines[7] == (try Sys.readLink("/proc/\(spawned.pid)/ns/cgroup")))
            }
        }
    }

    @Test func missingCommandIsReportedAsExecFailure() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("", root: root, t: t)
            plan.argv = ["no-such-command"]
            do {
                _ = try Harness.run(plan)
                Issue.record("spawn succeeded")
            } catch let e as SystemError {
                #expect(e.operation == "execve" && e.errno == ENOENT, "\(e)")
                #expect(Launcher.exitCode(for: e) == 127)
            }
            #expect(Harness.cgroups(containing: t.prefix).isEmpty)
        }
    }
}
