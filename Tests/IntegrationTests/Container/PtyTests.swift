import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `-t` through the built berth binary on a real terminal (util-linux
/// `script`, or `TerminalDriver` where the test must type, resize or signal):
/// the container's terminal comes from its own devpts (/dev/pts/N inside),
/// starts at the caller's window size and follows resizes; the caller's
/// terminal is raw while attached (^C reaches the container as a
/// character) and restored afterwards, also when berth is signalled; the
/// container's exit code is berth's.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/usr/bin/script"))
struct PtyTests {
    func terminal(_ t: TestRoot, _ args: [String], rows: UInt16 = 24, cols: UInt16 = 80,
                  directory: URL? = nil) throws -> TerminalDriver {
        try TerminalDriver(Repository.berthExecutable.path, args, environment: t.environment, directory: directory,
                           rows: rows, cols: cols)
    }

    /// Terminal output without carriage returns.
    func lines(_ text: String) -> String { text.replacingOccurrences(of: "\r", with: "") }

    /// The reproduction: `script` gives berth a terminal whose size
    /// was set with stty before berth started.
    @Test func runTtyUnderScriptIsTheContainersOwnTerminal() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let berth = Repository.berthExecutable.path
            let r = try runProcess(URL(fileURLWithPath: "/usr/bin/script"), [
                "-qec", "stty rows 33 cols 101; '\(berth)' run --rm -t busybox sh -c "
                    + "'tty; stty size; ls /dev/pts | tr \"\\n\" \" \"; echo; readlink /proc/self/fd/0; exit 5'",
                "/dev/null",
            ], environment: t.environment, timeout: 60)
            #expect(r.status == 5, "\(r.stdout) \(r.stderr)")
            #expect(lines(r.stdout) == "/dev/pts/0\n33 101\n0 ptmx \n/dev/pts/0\n", "\(r.stdout)")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
        }
    }

    @Test func interactiveShellAnswersOnARawTerminalAndItsExitCodeIsBerths() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let term = try terminal(t, ["run", "--rm", "-it", "busybox", "sh"], rows: 30, cols: 90)
            #expect(term.waitFor("# "), "\(term.output)")
            term.type("echo answer-$((6*7)); tty; stty size\r")
            #expect(term.waitFor("30 90\r\n"), "\(term.output)")
            #expect(lines(term.output).contains("answer-42\n/dev/pts/0\n30 90\n"), "\(term.output)")
            // Attached: berth's terminal is raw (the container's pty echoes and edits lines).
            #expect(!term.isCooked)
            term.type("exit 3\r")
            #expect(term.finish() == 3, "\(term.output)")
            #expect(term.isCooked, "the terminal's mode is restored")
            #expect(try t.cli("ps", "-aq").stdout.isEmpty)
        }
    }

    @Test func resizeAndCtrlCReachTheContainer() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let script = "trap 'stty size' WINCH; trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.1; done"
            let term = try terminal(t, ["run", "--rm", "-it", "busybox", "sh", "-c", script])
            #expect(term.waitFor("ready"), "\(term.output)")
            term.resize(rows: 41, cols: 123)
            #expect(term.waitFor("41 123"), "\(term.output)")
            // ^C is a character for the container's terminal, whose line
            // discipline turns it into SIGINT there; berth itself is not signalled.
            term.type("\u{03}")
            #expect(term.waitFor("got-int"), "\(term.output)")
            #expect(term.finish() == 7, "\(term.output)")
            #expect(term.isCooked)
        }
    }

    /// With `--init` the program, not berth-init, is the terminal's foreground
    /// process group: ^C and a resize reach it once, its status is berth's.
    @Test func initPassesTheTerminalToTheProgram() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let script = "trap 'stty size' WINCH; trap 'echo got-int; exit 7' INT; "
                + "echo pgrp=$(cut -d' ' -f5 /proc/$$/stat) fg=$(cut -d' ' -f8 /proc/$$/stat); "
                + "echo ready; while :; do sleep 0.1; done"
            let term = try terminal(t, ["run", "--rm", "-it", "--init", "busybox", "sh", "-c", script])
            #expect(term.waitFor("ready"), "\(term.output)")
            // The shell is PID 2 (under berth-init), leads its group, and that group owns the terminal.
            #expect(lines(term.output).contains("pgrp=2 fg=2\n"), "\(term.output)")
            term.resize(rows: 37, cols: 99)
            #expect(term.waitFor("37 99"), "\(term.output)")
            term.type("\u{03}")
            #expect(term.waitFor("got-int"), "\(term.output)")
            #expect(term.finish() == 7, "\(term.output)")
            #expect(lines(term.output).components(separatedBy: "got-int").count == 2, "one SIGINT: \(term.output)")
        }
    }

    @Test func aSignalToBerthRestoresTheTerminalAndLeavesTheContainerRunning() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-sig"
            let term = try terminal(t, ["run", "-it", "--name", name, "busybox", "sh"])
            #expect(term.waitFor("# "), "\(term.output)")
            term.type("echo ok-$((1+1))\r")
            #expect(term.waitFor("ok-2"), "\(term.output)")
            #expect(!term.isCooked)
            kill(term.pid, SIGTERM)
            #expect(term.finish() == 128 + SIGTERM, "\(term.output)")
            #expect(term.isCooked, "restored before berth died of SIGTERM")
            #expect(try t.cli("ps", "--filter", "name=\(name)").stdout.contains("Up "))
            #expect(try t.cli("rm", "-f", name).status == 0)
        }
    }

    /// exec's terminal comes from the same devpts as the container's own:
    /// the container holds /dev/pts/0, the exec'ed shell gets /dev/pts/1.
    @Test func execItGetsATerminalOfTheContainersDevpts() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-ex"
            let run = try t.cli("run", "-dit", "--name", name, "busybox", "sh")
            #expect(run.status == 0, "\(run.stderr)")
            let term = try terminal(t, ["exec", "-it", name, "sh"], rows: 27, cols: 88)
            #expect(term.waitFor("# "), "\(term.output)")
            term.type("tty; stty size\r")
            #expect(term.waitFor("27 88\r\n"), "\(term.output)")
            #expect(lines(term.output).contains("/dev/pts/1\n27 88\n"), "\(term.output)")
            #expect(!term.isCooked)
            term.resize(rows: 50, cols: 150)
            usleep(100_000)   // SIGWINCH reaches berth, which resizes the container's terminal
            term.type("stty size\r")
            #expect(term.waitFor("50 150"), "\(term.output)")
            term.type("exit 3\r")
            #expect(term.finish() == 3, "\(term.output)")
            #expect(term.isCooked)
            let plain = try t.cli("exec", name, "sh", "-c", "tty; exit 4")
            #expect(plain.status == 4)
            #expect(plain.stdout == "not a tty\n", "\(plain.stdout)")
            #expect(try t.cli("rm", "-f", name).status == 0)
        }
    }

    /// `compose exec` and `compose run`: a terminal by default when berth
    /// has one, none with -T (Docker Compose).
    @Test func composeExecAndRunAllocateATerminalUnlessT() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let sample = ComposeExecRunTests.sample
            t.defer_("down -v") { _ = try t.compose(["down", "-v", "-t", "1"], in: sample) }
            let up = try t.compose(["up", "-d", "web"], in: sample)
            #expect(up.status == 0, "\(up.stderr)")
            let p = ["-p", t.prefix, "compose"]
            let exec = try terminal(t, p + ["exec", "web", "sh", "-c", "tty; stty size; exit 3"], rows: 25, cols: 85,
                                    directory: sample)
            #expect(exec.finish() == 3, "\(exec.output)")
            #expect(lines(exec.output) == "/dev/pts/0\n25 85\n", "\(exec.output)")
            let noTTY = try terminal(t, p + ["exec", "-T", "web", "tty"], directory: sample)
            #expect(noTTY.finish() == 1, "\(noTTY.output)")
            #expect(lines(noTTY.output) == "not a tty\n", "\(noTTY.output)")
            let run = try terminal(t, p + ["run", "--rm", "web", "sh", "-c", "tty; stty size; exit 6"], rows: 26, cols: 86,
                                   directory: sample)
            #expect(run.finish(timeout: 60) == 6, "\(run.output)")
            #expect(lines(run.output).hasSuffix("/dev/pts/0\n26 86\n"), "\(run.output)")
        }
    }
}
