import BerthTestSupport
import Foundation
import Testing

/// berth-init (the `--init` PID 1) run on the host, no root needed: it is
/// not PID 1 here, so it reaps as a child subreaper.
@Suite struct InitProcessTests {
    static var initPath: String { Repository.builtExecutable("berth-init").path }

    /// `berth-init -- sh -c script` through the host's /bin/sh.
    static func run(_ script: String, timeout: Double = 20) throws -> CommandResult {
        try runProcess(URL(fileURLWithPath: initPath), ["--", "/bin/sh", "-c", script], timeout: timeout)
    }

    struct ExitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var script: String
        var status: Int32
        var testDescription: String { name }
    }

    @Test(arguments: [
        ExitCase(name: "exit code passes through", script: "exit 7", status: 7),
        ExitCase(name: "success", script: "true", status: 0),
        ExitCase(name: "killed by SIGTERM is 143", script: "kill -TERM $$", status: 143),
        ExitCase(name: "killed by SIGKILL is 137", script: "kill -KILL $$", status: 137),
        ExitCase(name: "a missing program is 127", script: "exec /no/such/program", status: 127),
    ])
    func exitStatus(_ c: ExitCase) throws {
        #expect(try Self.run(c.script).status == c.status)
    }

    @Test func missingProgramIsNamedOnStderr() throws {
        let r = try runProcess(URL(fileURLWithPath: Self.initPath), ["no-such-program-here"])
        #expect(r.status == 127)
        #expect(r.stderr.contains("berth-init: exec no-such-program-here: No such file or directory"), "\(r.stderr)")
        #expect(try runProcess(URL(fileURLWithPath: Self.initPath), []).status == 2)
    }

    @Test func forwardsSignalsToTheProgram() throws {
        // The outer shell signals berth-init; the program's trap answers with its own status.
        let dir = NSTemporaryDirectory() + "berth-init-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (signal, code) in [("TERM", 5), ("HUP", 6), ("USR1", 7), ("INT", 8), ("WINCH", 9)] {
            let program = "trap 'exit \(code)' \(signal); touch \(dir)/\(signal); while :; do sleep 0.02; done"
            let outer = """
                \(Self.initPath) -- /bin/sh -c "\(program)" & p=$!
                while [ ! -f \(dir)/\(signal) ]; do sleep 0.02; done
                kill -\(signal) $p; wait $p; echo $?
                """
            let r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", outer], timeout: 20)
            #expect(r.stdout == "\(code)\n", "SIG\(signal): \(r.stdout) \(r.stderr)")
        }
    }

    @Test func reapsOrphansItInherits() throws {
        // The subshell's sleep is orphaned to berth-init (its subreaper here);
        // once it exits no child of berth-init may be left a zombie.
        let script = """
            (sleep 0.1 &); sleep 0.5
            for s in /proc/[0-9]*/status; do
                grep -q "^PPid:[[:space:]]*$PPID$" $s 2>/dev/null && grep '^State:' $s
            done; true
            """
        let r = try Self.run(script)
        #expect(r.status == 0)
        #expect(!r.stdout.contains("zombie"), "\(r.stdout)")
        #expect(r.stdout.contains("State:"), "the shell itself is listed: \(r.stdout)")
    }
}
