import BerthTestSupport
import Foundation
import SystemCalls
import Testing

/// Container lifecycle through the built `berth` binary with real busybox
/// containers: detached runs, logs, stop/kill/restart policies, exit codes,
/// a killed monitor, and removal without leftovers.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerLifecycleTests {
    /// Imports the busybox image into the test's root and registers a
    /// cleanup that force-removes every container the test left.
    static func prepare(_ t: TestRoot) throws {
        let r = try t.cli("import", try ImageFixtures.busybox(), "busybox")
        #expect(r.status == 0, "\(r.stderr)")
        t.defer_("remove containers") {
            let ids = try t.cli("ps", "-aq").stdout.split(separator: "\n").map(String.init)
            if !ids.isEmpty { try t.cli(arguments: ["rm", "-f"] + ids) }
        }
    }

    /// The container's state.json as a dictionary.
    static func state(_ t: TestRoot, _ name: String) throws -> [String: Any] {
        let id = try t.cli("inspect", name).stdout
        let parsed = try JSONSerialization.jsonObject(with: Data(id.utf8)) as? [[String: Any]]
        let full = try #require(parsed?.first?["Id"] as? String)
        let data = try Data(contentsOf: t.root.appendingPathComponent("containers/\(full)/state.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func inspect(_ t: TestRoot, _ name: String) throws -> [String: Any] {
        let out = try t.cli("inspect", name).stdout
        let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]
        return try #require(parsed?.first)
    }

    static func waitUntil(timeout: Double = 10, _ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    @Test func detachedContainerOutlivesTheCLIAndLogsInOrder() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let run = try t.cli("run", "-d", "--name", "\(t.prefix)-web", "busybox",
                                  "sh", "-c", "i=1; while [ $i -le 5 ]; do echo line $i; i=$((i+1)); done; echo oops >&2; sleep 1000")
            #expect(run.status == 0, "\(run.stderr)")
            let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 64)
            // The CLI has exited; the container keeps running under its monitor.
            #expect(try Self.waitUntil { try t.cli("logs", "\(t.prefix)-web").stderr.contains("oops") })
            let ps = try t.cli("ps")
            #expect(ps.stdout.contains("\(t.prefix)-web"))
            #expect(ps.stdout.contains("Up "))
            let logs = try t.cli("logs", String(id.prefix(8)))
            #expect(logs.stdout == "line 1\nline 2\nline 3\nline 4\nline 5\n")
            #expect(logs.stderr == "oops\n")
            let tail = try t.cli("logs", "--tail", "2", "\(t.prefix)-web")
            #expect(tail.stdout == "line 5\n")
            #expect(tail.stderr == "oops\n")
            let stamped = try t.cli("logs", "-t", "--tail", "1", "\(t.prefix)-web")
            #expect(stamped.stderr.hasSuffix("Z oops\n"))
            // The log file is Docker's json-file format.
            let log = try String(contentsOf: t.root.appendingPathComponent("containers/\(id)/\(id)-json.log"), encoding: .utf8)
            #expect(log.hasPrefix(#"{"log":"line 1\n","stream":"stdout","time":""#))
            let json = try t.cli("ps", "--format", "json", "--filter", "name=\(t.prefix)-web")
            #expect(json.stdout.contains(#""State":"running""#))
            #expect(try t.cli("rm", "-f", "\(t.prefix)-web").status == 0)
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
        }
    }

    @Test func logsFollowEndsWhenTheContainerExits() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let run = try t.cli("run", "-d", "--name", "\(t.prefix)-f", "busybox",
                                  "sh", "-c", "sleep 0.5; for i in 1 2 3; do echo n$i; sleep 0.2; done")
            #expect(run.status == 0, "\(run.stderr)")
            let follow = try t.cli("logs", "-f", "\(t.prefix)-f")
            #expect(follow.stdout == "n1\nn2\nn3\n")
            #expect(try t.cli("wait", "\(t.prefix)-f").stdout == "0\n")
        }
    }

    struct ExitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var code: Int32
        var stderr: String
        var testDescription: String { name }
    }

    static let exitCases: [ExitCase] = [
        ExitCase(name: "exit status passes through", arguments: ["busybox", "sh", "-c", "exit 3"], code: 3, stderr: ""),
        ExitCase(name: "127 command not found", arguments: ["busybox", "nosuchcommand"], code: 127,
                 stderr: "executable file not found in $PATH"),
        ExitCase(name: "126 cannot execute", arguments: ["busybox", "/etc/passwd"], code: 126, stderr: "permission denied"),
        ExitCase(name: "125 berth error", arguments: ["--restart", "sometimes", "busybox", "true"], code: 125,
                 stderr: "invalid restart policy"),
        ExitCase(name: "125 unknown image", arguments: ["nosuchimage", "true"], code: 125, stderr: "Unable to find image"),
        ExitCase(name: "128+N for a signal", arguments: ["busybox", "sh", "-c", "sleep 5 & kill -KILL $!; wait $!"],
                 code: 137, stderr: "Killed"),
    ]

    @Test(arguments: exitCases)
    func exitCodesAreDockers(_ c: ExitCase) async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let r = try t.cli(arguments: ["run", "--rm"] + c.arguments)
            #expect(r.status == c.code, "\(r.stderr)")
            #expect(c.stderr.isEmpty ? r.stderr.isEmpty : r.stderr.contains(c.stderr), "\(r.stderr)")
        }
    }

    /// The monitor records the start while the child still sets itself up;
    /// an exec that then fails must leave the container `created` (Docker),
    /// with no start time and no restart counted, and the `--rm` one gone.
    @Test func aCommandThatCannotStartLeavesTheContainerCreated() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let r = try t.cli("run", "--name", "\(t.prefix)-never", "busybox", "nosuchcommand")
            #expect(r.status == 127, "\(r.stderr)")
            let info = try Self.inspect(t, "\(t.prefix)-never")
            let state = try #require(info["State"] as? [String: Any])
            #expect(state["Status"] as? String == "created")
            #expect(state["ExitCode"] as? Int == 127)
            #expect(state["Pid"] as? Int == 0)
            #expect((state["StartedAt"] as? String ?? "").hasPrefix("0001-01-01"))
            #expect(info["RestartCount"] as? Int == 0)
            #expect(try t.cli("rm", "\(t.prefix)-never").status == 0)
            // The same with --rm: nothing is left of it.
            #expect(try t.cli("run", "--rm", "busybox", "nosuchcommand").status == 127)
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
            let left = (try? FileManager.default.contentsOfDirectory(atPath: t.root.path + "/containers")) ?? []
            #expect(left.filter { !$0.hasPrefix(".") }.isEmpty, "\(left)")
        }
    }

    /// A foreground run spawns its monitor before the record exists; a run
    /// that fails before writing it (no such image, a name in use) ends
    /// that monitor and leaves no record, directory or process behind.
    @Test func aRunThatFailsBeforeItsRecordLeavesNoMonitor() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "--rm", "nosuchimage", "true").status == 125)
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-taken", "busybox", "sleep", "30").status == 0)
            let clash = try t.cli("run", "--name", "\(t.prefix)-taken", "busybox", "true")
            #expect(clash.status == 125 && clash.stderr.contains("already in use"), "\(clash.stderr)")
            #expect(try t.cli("rm", "-f", "\(t.prefix)-taken").status == 0)
            let monitors = try Self.waitUntil(timeout: 5) {
                let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
                return !pids.contains { pid in
                    guard let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
                    let text = String(decoding: cmd, as: UTF8.self)
                    return text.contains("berth-monitor") && text.contains(t.root.path)
                }
            }
            #expect(monitors, "a berth-monitor of this root is still running")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
            let left = (try? FileManager.default.contentsOfDirectory(atPath: t.root.path + "/containers")) ?? []
            #expect(left.filter { !$0.hasPrefix(".") }.isEmpty, "\(left)")
        }
    }

    @Test func foregroundRunForwardsStdinAndRemovesWithRm() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let r = try t.cli("run", "--rm", "-i", "busybox", "sh", "-c", "read x; echo got $x; echo err >&2",
                                stdin: Data("hello\n".utf8))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "got hello\n")
            #expect(r.stderr == "err\n")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
        }
    }

    @Test func aNonRootUserCanUseTheRootFilesystem() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            // The container's `/` takes the overlay upper directory's mode: it must be 0755.
            let r = try t.cli("run", "--rm", "-u", "1000:1000", "busybox", "sh", "-c",
                              "stat -c %a /; ls /proc/self/fd >/dev/null && cd /etc && cat group >/dev/null && echo ok")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "755\nok\n", "\(r.stdout)")
        }
    }

    @Test func stopHonoursTheGracePeriodThenKills() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            // PID 1 ignoring SIGTERM: only SIGKILL after the grace period ends it.
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-stubborn", "busybox",
                                "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done").status == 0)
            let start = Date()
            let stop = try t.cli("stop", "-t", "1", "\(t.prefix)-stubborn")
            let elapsed = Date().timeIntervalSince(start)
            #expect(stop.status == 0, "\(stop.stderr)")
            #expect(stop.stdout == "\(t.prefix)-stubborn\n")
            #expect(elapsed >= 1.0 && elapsed < 5, "stop took \(elapsed)s")
            let state = try #require(try Self.inspect(t, "\(t.prefix)-stubborn")["State"] as? [String: Any])
            #expect(state["Status"] as? String == "exited")
            #expect(state["ExitCode"] as? Int == 137)

            // A process that handles SIGTERM exits at once with its own status.
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-polite", "busybox",
                                "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done").status == 0)
            let quick = Date()
            #expect(try t.cli("stop", "-t", "10", "\(t.prefix)-polite").status == 0)
            #expect(Date().timeIntervalSince(quick) < 5)
            #expect(try t.cli("wait", "\(t.prefix)-polite").stdout == "0\n")
        }
    }

    @Test func killSendsTheSignalAndWaitReportsIt() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-k", "busybox", "sleep", "1000").status == 0)
            #expect(try t.cli("kill", "-s", "KILL", "\(t.prefix)-k").status == 0)
            #expect(try t.cli("wait", "\(t.prefix)-k").stdout == "137\n")
            #expect(try t.cli("ps", "-a", "--filter", "status=exited", "-q").stdout.count == 13)
            let again = try t.cli("kill", "\(t.prefix)-k")
            #expect(again.status == 1)
            #expect(again.stderr.contains("is not running"))
        }
    }

    @Test func onFailureTwoGivesExactlyThreeRuns() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "-d", "--restart", "on-failure:2", "--name", "\(t.prefix)-r", "busybox",
                                "sh", "-c", "echo run; exit 4").status == 0)
            #expect(try t.cli("wait", "\(t.prefix)-r").stdout == "4\n")
            #expect(try t.cli("logs", "\(t.prefix)-r").stdout == "run\nrun\nrun\n")
            let info = try Self.inspect(t, "\(t.prefix)-r")
            #expect(info["RestartCount"] as? Int == 2)
            #expect((info["State"] as? [String: Any])?["Status"] as? String == "exited")
        }
    }

    @Test func alwaysRestartsUntilStopped() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "-d", "--restart", "always", "--name", "\(t.prefix)-a", "busybox",
                                "sh", "-c", "echo up; sleep 0.2").status == 0)
            #expect(try Self.waitUntil { (try Self.inspect(t, "\(t.prefix)-a")["RestartCount"] as? Int ?? 0) >= 2 })
            #expect(try t.cli("stop", "-t", "1", "\(t.prefix)-a").status == 0)
            let count = try Self.inspect(t, "\(t.prefix)-a")["RestartCount"] as? Int
            usleep(700_000)
            // Stopped by the user: no further restarts.
            #expect(try Self.inspect(t, "\(t.prefix)-a")["RestartCount"] as? Int == count)
            #expect(try t.cli("ps", "-q").stdout.isEmpty)
        }
    }

    /// After a second without activity the monitor gives back the pages of
    /// its binary it has not written (`cm_release_file_pages`): its resident
    /// memory falls well under the 2 MiB goal, and everything it keeps
    /// (log capture, its control socket, the exit) still works.
    @Test func anIdleMonitorGivesBackItsPagesAndKeepsWorking() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-idle", "busybox",
                                "sh", "-c", "echo before; sleep 2; echo after; exec sleep 1000").status == 0)
            let monitor = try #require(try Self.state(t, "\(t.prefix)-idle")["monitorPid"] as? Int32)
            func residentKiB() throws -> Int {
                let line = try Sys.readFile("/proc/\(monitor)/status").split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                return Int(try #require(line).split(separator: " ")[1]) ?? .max
            }
            #expect(try Self.waitUntil { try residentKiB() < 1536 }, "monitor resident: \((try? residentKiB()) ?? -1) KiB")
            // Woken by output after the trim: captured in order.
            #expect(try Self.waitUntil { try t.cli("logs", "\(t.prefix)-idle").stdout == "before\nafter\n" })
            #expect(try Self.waitUntil { try residentKiB() < 1536 })
            let stop = try t.cli("stop", "-t", "1", "\(t.prefix)-idle")
            #expect(stop.status == 0, "\(stop.stderr)")
            let state = try #require(try Self.inspect(t, "\(t.prefix)-idle")["State"] as? [String: Any])
            #expect(state["Status"] as? String == "exited" && state["ExitCode"] as? Int == 137)
        }
    }

    @Test func killingTheMonitorLeavesTheContainerRunningAndStoppable() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            #expect(try t.cli("run", "-d", "--name", "\(t.prefix)-orphan", "busybox",
                                "sh", "-c", "echo before; exec sleep 1000").status == 0)
            #expect(try Self.waitUntil { try t.cli("logs", "\(t.prefix)-orphan").stdout == "before\n" })
            let state = try Self.state(t, "\(t.prefix)-orphan")
            let monitor = try #require(state["monitorPid"] as? Int32)
            let pid = try #require(state["pid"] as? Int32)
            #expect(kill(monitor, SIGKILL) == 0)
            #expect(try Self.waitUntil { kill(monitor, 0) != 0 || isZombie(monitor) })
            // The container survives its monitor and berth still sees it.
            #expect(kill(pid, 0) == 0)
            #expect(try t.cli("ps").stdout.contains("\(t.prefix)-orphan"))
            #expect(try t.cli("logs", "\(t.prefix)-orphan").stdout == "before\n")
            let stop = try t.cli("stop", "-t", "1", "\(t.prefix)-orphan")
            #expect(stop.status == 0, "\(stop.stderr)")
            #expect(try Self.waitUntil { kill(pid, 0) != 0 || isZombie(pid) })
            #expect(try t.cli("rm", "\(t.prefix)-orphan").status == 0)
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
        }
    }

    @Test func rmLeavesNoProcessCgroupMountOrFile() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let run = try t.cli("run", "-d", "--memory", "64m", "--pids-limit", "50", "-v", "/data",
                                  "--name", "\(t.prefix)-gone", "busybox", "sleep", "1000")
            #expect(run.status == 0, "\(run.stderr)")
            let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let pid = try #require(try Self.state(t, id)["pid"] as? Int32)
            #expect(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/berth-\(id)"))
            let rm = try t.cli("rm", "-f", "-v", "\(t.prefix)-gone")
            #expect(rm.status == 0, "\(rm.stderr)")
            #expect(kill(pid, 0) != 0 || isZombie(pid))
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/berth-\(id)"))
            #expect(!FileManager.default.fileExists(atPath: t.root.appendingPathComponent("containers/\(id)").path))
            #expect(!FileManager.default.fileExists(atPath: t.run.appendingPathComponent("containers/\(id)").path))
            let volumes = (try? FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("volumes").path)) ?? []
            #expect(volumes.isEmpty)
            #expect(LeakCheck.mounts(under: t.directory.path).isEmpty)
        }
    }

    @Test func namesAreUniqueAndLookupsWorkByPrefix() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let first = try t.cli("run", "-d", "--name", "\(t.prefix)-n", "busybox", "sleep", "1000")
            #expect(first.status == 0)
            let clash = try t.cli("run", "-d", "--name", "\(t.prefix)-n", "busybox", "true")
            #expect(clash.status == 125)
            #expect(clash.stderr.contains("The container name \"/\(t.prefix)-n\" is already in use"))
            let id = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try t.cli("top", String(id.prefix(6))).stdout.contains("sleep 1000"))
            let missing = try t.cli("stop", "nosuch-\(t.prefix)")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("No such container: nosuch-\(t.prefix)"))
            let busy = try t.cli("rm", "\(t.prefix)-n")
            #expect(busy.status == 1)
            #expect(busy.stderr.contains("container is running"))
        }
    }

    @Test func namedVolumeIsSeededFromTheImageAndKept() async throws {
        try await withTestRoot { t in
            try Self.prepare(t)
            let vol = "\(t.prefix)-etc"
            let r = try t.cli("run", "--rm", "-v", "\(vol):/etc", "busybox", "sh", "-c", "cat /etc/passwd | head -1; echo x > /etc/mark")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("root:"))
            let mark = t.root.appendingPathComponent("volumes/\(vol)/_data/mark")
            #expect((try? String(contentsOf: mark, encoding: .utf8)) == "x\n")
        }
    }
}

func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}
