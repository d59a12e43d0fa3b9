import BerthTestSupport
import Foundation
import Testing

/// `berth run --init` and compose `init: true`: berth-init is PID 1, reaps
/// orphans and passes the stop signal on to the program (and `compose cp`
/// with the stopped service).
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerInitTests {
    /// Zombie lines in the container's /proc (state `Z`).
    static func zombies(_ t: TestRoot, _ name: String) throws -> Int {
        let r = try t.cli("exec", name, "sh", "-c", "cat /proc/[0-9]*/stat | grep -c ') Z ' || true")
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func initIsPID1AndReapsOrphansTheProgramNeverWaitsFor() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            // The subshell's sleep is orphaned to PID 1; `exec sleep` never waits for it.
            let script = "(sleep 0.1 &); exec sleep 1000"
            let initName = "\(t.prefix)-init", bare = "\(t.prefix)-bare"
            #expect(try t.cli("run", "-d", "--init", "--name", initName, "busybox", "sh", "-c", script).status == 0)
            #expect(try t.cli("run", "-d", "--name", bare, "busybox", "sh", "-c", script).status == 0)
            usleep(600_000)

            let pid1 = try t.cli("exec", initName, "cat", "/proc/1/cmdline").stdout
            #expect(pid1 == "/dev/init\u{0}--\u{0}sh\u{0}-c\u{0}\(script)\u{0}")
            // The program runs as PID 2 (the first child of the init).
            #expect(try t.cli("exec", initName, "cat", "/proc/2/cmdline").stdout == "sleep\u{0}1000\u{0}")
            #expect(try Self.zombies(t, initName) == 0)
            // Without the init the same program leaves the orphan a zombie.
            #expect(try Self.zombies(t, bare) == 1)
            let inspect = try ContainerLifecycleTests.inspect(t, initName)
            #expect((inspect["HostConfig"] as? [String: Any])?["Init"] as? Bool == true)

            // Nothing of the init is left in the container's root once it stopped
            // (it was on the container's /dev tmpfs, not in its layer).
            #expect(try t.cli("stop", "-t", "0", initName).status == 0)
            let out = t.directory.appendingPathComponent("init-copy").path
            #expect(try t.cli("cp", "\(initName):/dev/init", out).status != 0)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func stopReachesTheProgramThroughTheInitWithItsExitCode() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-trap"
            #expect(try t.cli("run", "-d", "--init", "--name", name, "busybox", "sh", "-c",
                              "trap 'exit 42' TERM; touch /tmp/ready; while true; do sleep 0.05; done").status == 0)
            #expect(try ContainerLifecycleTests.waitUntil { try t.cli("exec", name, "test", "-f", "/tmp/ready").status == 0 })
            let start = Date()
            let stop = try t.cli("stop", "-t", "10", name)
            #expect(stop.status == 0, "\(stop.stderr)")
            // Well inside the grace period: the TERM reached the trap, no SIGKILL.
            #expect(Date().timeIntervalSince(start) < 5)
            let state = try #require(try ContainerLifecycleTests.inspect(t, name)["State"] as? [String: Any])
            #expect(state["ExitCode"] as? Int == 42)

            // A program killed by a signal: the init exits 128+N like the program would.
            let killed = "\(t.prefix)-killed"
            #expect(try t.cli("run", "--init", "--name", killed, "busybox", "sh", "-c", "kill -USR1 $$").status == 138)
            // A missing program fails the start itself, as without --init.
            #expect(try t.cli("run", "--init", "--name", "\(t.prefix)-missing", "busybox", "no-such-program").status == 127)
        }
    }

    /// A non-root program (and init) can walk the root: the overlay's `/` takes
    /// the upper directory's mode, which must not be 0700.
    @Test func initAndProgramRunAsANonRootUser() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            for extra in [[], ["--init"]] {
                let r = try t.cli(arguments: ["run", "--rm"] + extra + ["-u", "nobody", "busybox", "sh", "-c",
                                                                        "ls / >/dev/null && id -u && cat /proc/1/status | grep ^Uid"])
                #expect(r.status == 0, "\(extra): \(r.stderr)")
                #expect(r.stdout.hasPrefix("65534\nUid:\t65534\t"), "\(extra): \(r.stdout)")
            }
        }
    }

    @Test func composeInitTrueRunsTheServiceUnderTheInit() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let dir = t.directory.appendingPathComponent("initproject")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try """
            services:
              app:
                image: busybox:latest
                init: true
                command: ["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done"]
              plain:
                image: busybox:latest
                command: ["sleep", "1000"]
                stop_grace_period: 1s
            """.write(to: dir.appendingPathComponent("compose.yaml"), atomically: true, encoding: .utf8)
            t.defer_("compose down") { _ = try t.compose(["compose", "down", "-t", "1"], in: dir) }
            let up = try t.compose(["compose", "up", "-d"], in: dir)
            #expect(up.status == 0, "\(up.stderr)")
            let pid1 = try t.compose(["compose", "exec", "-T", "app", "cat", "/proc/1/cmdline"], in: dir)
            #expect(pid1.stdout.hasPrefix("/dev/init\u{0}--\u{0}sh\u{0}"), "\(pid1.stdout) \(pid1.stderr)")
            let plain = try t.compose(["compose", "exec", "-T", "plain", "cat", "/proc/1/cmdline"], in: dir)
            #expect(plain.stdout == "sleep\u{0}1000\u{0}")
            #expect(try t.compose(["compose", "stop", "app"], in: dir).status == 0)
            let ps = try t.compose(["compose", "ps", "-a", "--format", "json"], in: dir)
            #expect(ps.stdout.contains("Exited (3)"), "\(ps.stdout)")

            // compose cp works with the stopped service too, both ways.
            let note = dir.appendingPathComponent("note.txt")
            try "for app\n".write(to: note, atomically: true, encoding: .utf8)
            let into = try t.compose(["compose", "cp", note.path, "app:/tmp/note.txt"], in: dir)
            #expect(into.status == 0, "\(into.stderr)")
            let back = dir.appendingPathComponent("back.txt")
            #expect(try t.compose(["compose", "cp", "--index", "1", "app:/tmp/note.txt", back.path], in: dir).status == 0)
            #expect(try String(contentsOf: back, encoding: .utf8) == "for app\n")
            let noSuch = try t.compose(["compose", "cp", "--index", "2", "app:/tmp/note.txt", back.path], in: dir)
            #expect(noSuch.status != 0 && noSuch.stderr.contains("has no container #2"), "\(noSuch.stderr)")
        }
    }
}
