import BerthTestSupport
import Foundation
import SystemCalls
import Testing

/// exec, pause/unpause, stats and cp against a running busybox container.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerCommandTests {
    @Test func execJoinsTheContainerWithItsUserEnvAndExitCodes() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-x"
            #expect(try t.cli("run", "-d", "--hostname", "box", "--name", name, "busybox", "sleep", "1000").status == 0)
            let r = try t.cli("exec", "-u", "nobody", "-w", "/tmp", "-e", "GREETING=hi", name,
                              "sh", "-c", "echo $(hostname) $(id -u) $(pwd) $GREETING; exit 3")
            #expect(r.status == 3, "\(r.stderr)")
            #expect(r.stdout == "box 65534 /tmp hi\n")
            // Same PID namespace: the container's sleep is PID 1.
            #expect(try t.cli("exec", name, "cat", "/proc/1/cmdline").stdout == "sleep\u{0}1000\u{0}")
            #expect(try t.cli("exec", "-i", name, "cat", stdin: Data("piped\n".utf8)).stdout == "piped\n")
            #expect(try t.cli("exec", name, "nosuch").status == 127)
            #expect(try t.cli("exec", name, "/etc/passwd").status == 126)

            #expect(try t.cli("pause", name).status == 0)
            #expect(try t.cli("ps").stdout.contains("(Paused)"))
            let paused = try t.cli("exec", name, "true")
            #expect(paused.status != 0)
            #expect(paused.stderr.contains("is paused"))
            #expect(try t.cli("unpause", name).status == 0)
            #expect(try t.cli("exec", name, "true").status == 0)

            let stats = try t.cli("stats", "--no-stream", name)
            #expect(stats.status == 0, "\(stats.stderr)")
            #expect(stats.stdout.hasPrefix("CONTAINER ID   NAME"))
            #expect(stats.stdout.contains(name))

            #expect(try t.cli("stop", "-t", "0", name).status == 0)
            let stopped = try t.cli("exec", name, "true")
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains("cannot exec: \(name) is not running"))
        }
    }

    @Test func itWithoutATerminalIsDockersErrorAndCreatesNothing() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            // The tests' stdin is a pipe, not a terminal.
            var r = try t.cli("run", "--rm", "-it", "busybox", "true", stdin: Data("x\n".utf8))
            #expect(r.status == 1 && r.stderr.contains("the input device is not a TTY"), "\(r.status) \(r.stderr)")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
            let name = "\(t.prefix)-tty"
            #expect(try t.cli("run", "-d", "--name", name, "busybox", "sleep", "1000").status == 0)
            r = try t.cli("exec", "-it", name, "true", stdin: Data("x\n".utf8))
            #expect(r.status == 1 && r.stderr.contains("the input device is not a TTY"), "\(r.status) \(r.stderr)")
            // -t alone (no stdin) and -i alone still work without a terminal.
            #expect(try t.cli("exec", "-t", name, "true").status == 0)
            #expect(try t.cli("exec", "-i", name, "cat", stdin: Data("piped\n".utf8)).stdout == "piped\n")
            #expect(try t.cli("system", "df").stdout.contains("Containers      1 "))
            #expect(try t.cli("rm", "-f", name).status == 0)
            // Its record directory is kept for the next container, not counted as one.
            let df = try t.cli("system", "df").stdout
            #expect(df.contains("Containers      0 "), "\(df)")
        }
    }

    @Test func cpCopiesBothWaysAndStaysInsideTheContainer() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-cp"
            #expect(try t.cli("run", "-d", "--name", name, "busybox", "sh", "-c",
                              "mkdir -p /data/sub; echo inside > /data/sub/f; ln -s / /data/root; ln -s ../../../../.. /data/up; sleep 1000").status == 0)
            #expect(try ContainerLifecycleTests.waitUntil { try t.cli("exec", name, "test", "-L", "/data/up").status == 0 })
            let out = t.directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            #expect(try t.cli("cp", "\(name):/data", out.path).status == 0)
            #expect(try String(contentsOf: out.appendingPathComponent("data/sub/f"), encoding: .utf8) == "inside\n")
            // Links are copied as links, never followed.
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("data/up").path) == "../../../../..")

            let file = t.directory.appendingPathComponent("in.txt")
            try "from host\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try t.cli("cp", file.path, "\(name):/data/").status == 0)
            #expect(try t.cli("exec", name, "cat", "/data/in.txt").stdout == "from host\n")
            // A path through a symlink that climbs out resolves inside the container's root.
            let escape = "escape-\(t.prefix).txt"
            #expect(try t.cli("cp", file.path, "\(name):/data/up/tmp/\(escape)").status == 0)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(escape)"))
            #expect(try t.cli("exec", name, "cat", "/tmp/\(escape)").stdout == "from host\n")
        }
    }
}

extension ContainerCommandTests {
    @Test func cpWorksWithAnExitedContainerBothWaysAndStaysInside() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-cpx"
            let script = "cat /data/in.txt 2>/dev/null; mkdir -p /data/sub; echo inside > /data/sub/f; "
                + "ln -sf / /data/root; ln -sf ../../../../.. /data/up; ln -sf /etc /data/etc"
            let vol = t.directory.appendingPathComponent("vol"), roVol = t.directory.appendingPathComponent("rovol")
            for d in [vol, roVol] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
            #expect(try t.cli("run", "--name", name, "-v", "\(vol.path):/vol", "-v", "\(roVol.path):/rovol:ro",
                              "busybox", "sh", "-c", script).status == 0)
            let state = try #require(try ContainerLifecycleTests.inspect(t, name)["State"] as? [String: Any])
            #expect(state["Status"] as? String == "exited")

            // Out of the exited container: the tree, links copied as links.
            let out = t.directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let copied = try t.cli("cp", "\(name):/data", out.path)
            #expect(copied.status == 0, "\(copied.stderr)")
            #expect(try String(contentsOf: out.appendingPathComponent("data/sub/f"), encoding: .utf8) == "inside\n")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("data/up").path) == "../../../../..")
            // A path through a link to / or /etc is the container's /etc, never the host's.
            let passwd = t.directory.appendingPathComponent("passwd").path
            #expect(try t.cli("cp", "\(name):/data/etc/passwd", passwd).status == 0)
            let text = try String(contentsOfFile: passwd, encoding: .utf8)
            let hostPasswd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
            #expect(text.contains("nobody:") && text != hostPasswd)

            // Into the exited container, also through climbing links: all stays inside.
            let file = t.directory.appendingPathComponent("in.txt")
            try "from host\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try t.cli("cp", file.path, "\(name):/data/").status == 0)
            let escape = "escape-\(t.prefix).txt"
            #expect(try t.cli("cp", file.path, "\(name):/data/up/tmp/\(escape)").status == 0)
            #expect(try t.cli("cp", file.path, "\(name):/data/root/../../tmp/\(escape)-2").status == 0)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(escape)"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(escape)-2"))
            // The container's bind mounts are there as when it runs; read-only ones refuse.
            #expect(try t.cli("cp", file.path, "\(name):/vol/").status == 0)
            #expect(FileManager.default.fileExists(atPath: vol.appendingPathComponent("in.txt").path))
            let readOnly = try t.cli("cp", file.path, "\(name):/rovol/")
            #expect(readOnly.status != 0 && readOnly.stderr.contains("EROFS"), "\(readOnly.stderr)")
            #expect(!FileManager.default.fileExists(atPath: roVol.appendingPathComponent("in.txt").path))
            // Nothing stays mounted on the host: the copy ran in a private mount namespace.
            let mounts = try Sys.readFile("/proc/self/mountinfo")
            #expect(!mounts.contains(t.root.path), "\(mounts)")

            // Started again, the container sees what was copied in (its script cats it first).
            #expect(try t.cli("start", name).status == 0)
            #expect(try t.cli("wait", name).stdout == "0\n")
            #expect(try t.cli("logs", name).stdout == "from host\n")
            #expect(try t.cli("start", name).status == 0)
            #expect(try t.cli("wait", name).status == 0)
            // Both escapes landed in the container's own /tmp.
            let back = t.directory.appendingPathComponent("back").path
            #expect(try t.cli("cp", "\(name):/tmp/\(escape)", back).status == 0)
            #expect(try String(contentsOfFile: back, encoding: .utf8) == "from host\n")
            #expect(try t.cli("cp", "\(name):/tmp/\(escape)-2", back + "-2").status == 0)
        }
    }
}
