import BerthTestSupport
import Foundation
import Testing

/// `berth attach` on a real terminal (`TerminalDriver`) to a `run -dit`
/// shell: input reaches it, Ctrl-P Ctrl-Q detaches leaving it running, and
/// a later attach ends with the shell's exit code.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/usr/bin/script"))
struct ContainerAttachTests {
    /// Typing waits until berth has attached (its terminal raw), so no key
    /// meets the cooked line discipline.
    static func waitUntilRaw(_ term: TerminalDriver) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while term.isCooked {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    @Test func attachTypesDetachesAndReturnsTheExitCode() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-att"
            #expect(try t.cli("run", "-dit", "--name", name, "busybox", "sh").status == 0)
            let berth = Repository.berthExecutable.path

            var term = try TerminalDriver(berth, ["attach", name], environment: t.environment, rows: 24, cols: 80)
            #expect(Self.waitUntilRaw(term), "\(term.output)")
            term.type("echo hi-$((40+2)); stty size\r")
            #expect(term.waitFor("hi-42\r\n24 80\r\n"), "\(term.output)")
            term.type("\u{10}\u{11}")
            #expect(term.finish() == 1, "\(term.output)")
            #expect(term.output.contains("read escape sequence"), "\(term.output)")
            #expect(term.isCooked, "the terminal's mode is restored")
            let running = try ContainerLifecycleTests.inspect(t, name)
            #expect((running["State"] as? [String: Any])?["Running"] as? Bool == true, "\(running)")

            term = try TerminalDriver(berth, ["attach", name], environment: t.environment, rows: 30, cols: 90)
            #expect(Self.waitUntilRaw(term), "\(term.output)")
            term.type("echo again; stty size\r")
            #expect(term.waitFor("again\r\n30 90\r\n"), "\(term.output)")
            term.type("exit 4\r")
            #expect(term.finish() == 4, "\(term.output)")
            let stopped = try t.cli("attach", name)
            #expect(stopped.status == 1 && stopped.stderr.contains("cannot attach to a stopped container"), "\(stopped.stderr)")
        }
    }

    @Test func attachStreamsANonTerminalContainersOutput() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-out"
            #expect(try t.cli("run", "-d", "--name", name, "busybox", "sh", "-c",
                              "sleep 1; echo to-out; echo to-err >&2; exit 6").status == 0)
            let r = try t.cli("attach", name)
            #expect(r.status == 6, "\(r.stderr)")
            #expect(r.stdout == "to-out\n" && r.stderr == "to-err\n", "\(r.stdout) \(r.stderr)")
        }
    }
}
