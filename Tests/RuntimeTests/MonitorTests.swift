import Foundation
import Testing
@testable import Runtime
#if canImport(Glibc)
import Glibc
#endif

@Suite struct MonitorProtocolTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var request: MonitorRequest
        var testDescription: String { request.line.trimmingSuffixNewline }
    }

    @Test(arguments: [MonitorRequest.status, .wait, .start, .stop(timeout: 10), .stop(timeout: -1), .kill(signal: 9),
                      .attach(stdin: true, rows: 40, cols: 120), .attach(stdin: false, rows: 24, cols: 80)])
    func requestsRoundTrip(_ r: MonitorRequest) {
        #expect(MonitorRequest.parse(String(r.line.dropLast())) == r)
    }

    @Test(arguments: ["", "stop", "stop x", "kill", "attach 1 2", "reboot"])
    func malformedRequestsAreRejected(_ line: String) {
        #expect(MonitorRequest.parse(line) == nil)
    }

    @Test func framesReassembleAcrossReads() {
        let bytes = FrameCodec.encode(.stdout, text: "hello") + FrameCodec.encode(.exit, text: "3")
        var reader = FrameReader()
        var got: [(FrameType?, [UInt8])] = []
        for b in bytes { got += reader.feed([b]) }
        #expect(got.count == 2)
        #expect(got[0].0 == .stdout && got[0].1 == Array("hello".utf8))
        #expect(got[1].0 == .exit && got[1].1 == Array("3".utf8))
    }

    /// A monitor stand-in: accepts one attach on a socket in a temporary
    /// directory, reads the request line, sends `frames` and closes.
    static func attach(receiving frames: [UInt8]) throws -> (AttachClient.Outcome, [Int32]) {
        var template = Array("/tmp/berth-attach-XXXXXX".utf8CString)
        let dir = String(cString: try #require(mkdtemp(&template)))
        defer { rmdir(dir) }
        let path = dir + "/attach.sock"
        let listener = try UnixSocket.listen(path)
        defer { close(listener); unlink(path) }
        let server = Thread {
            let c = accept(listener, nil, nil)
            guard c >= 0 else { return }
            var byte: UInt8 = 0
            while read(c, &byte, 1) == 1 && byte != UInt8(ascii: "\n") {}
            _ = frames.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
            close(c)
        }
        server.start()
        var removing: [Int32] = []
        let outcome = try AttachClient.attach(socketPath: path, stdin: false, tty: false) { removing.append($0) }
        return (outcome, removing)
    }

    @Test func removingIsReportedBeforeTheFinalExit() throws {
        let (outcome, removing) = try Self.attach(receiving: FrameCodec.encode(.removing, text: "3")
                                                      + FrameCodec.encode(.exit, text: "3"))
        #expect(outcome == .exited(3))
        #expect(removing == [3])
        // Without it (no --rm, or a restart) the hook is not called.
        let (plain, none) = try Self.attach(receiving: FrameCodec.encode(.exit, text: "0"))
        #expect(plain == .exited(0) && none.isEmpty)
        // A monitor lost after `removing`: the session still ends as disconnected.
        let (lost, early) = try Self.attach(receiving: FrameCodec.encode(.removing, text: "137"))
        #expect(lost == .disconnected && early == [137])
    }

    struct ExitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var status: Int32
        var code: Int32
        var testDescription: String { name }
    }

    @Test(arguments: [ExitCase(name: "exit 0", status: 0, code: 0), ExitCase(name: "exit 3", status: 3 << 8, code: 3),
                      ExitCase(name: "SIGKILL", status: SIGKILL, code: 137), ExitCase(name: "SIGTERM", status: SIGTERM, code: 143),
                      ExitCase(name: "SIGSEGV with core", status: SIGSEGV | 0x80, code: 139)])
    func exitCodesAreDockers(_ c: ExitCase) {
        #expect(ContainerMonitor.exitCode(c.status) == c.code)
    }

    @Test(arguments: [("TERM", SIGTERM), ("SIGKILL", SIGKILL), ("sigusr1", SIGUSR1), ("9", SIGKILL)] as [(String, Int32)])
    func signalNames(_ pair: (String, Int32)) {
        #expect(SignalName.parse(pair.0) == pair.1)
    }

    struct AssignmentCase: CustomTestStringConvertible, Sendable {
        var name: String
        var assignment: MonitorAssignment
        var testDescription: String { name }
    }

    @Test(arguments: [
        AssignmentCase(name: "plain, deferred",
                       assignment: MonitorAssignment(root: "/var/lib/berth", run: "/run/berth", id: "a1b2", deferStart: true)),
        AssignmentCase(name: "start at once",
                       assignment: MonitorAssignment(root: "/r", run: "/run/x", id: "c3", deferStart: false)),
        AssignmentCase(name: "tab, newline and backslash in paths",
                       assignment: MonitorAssignment(root: "/tmp/a\\tb\tc", run: "/tmp/new\nline\\", id: "d4",
                                                     deferStart: true)),
    ])
    func monitorAssignmentsRoundTrip(_ c: AssignmentCase) {
        let line = c.assignment.line
        #expect(line.hasSuffix("\n") && line.filter { $0 == "\n" }.count == 1)
        #expect(MonitorAssignment(line: String(line.dropLast())) == c.assignment)
    }

    @Test(arguments: ["", "go", "go\t/r\t/run\tid", "go\t/r\t/run\tid\tlater", "stop\t/r\t/run\tid\tnow",
                      "go\t\t/run\tid\tnow", "go\t/r\\x\t/run\tid\tnow", "go\t/r\\\t/run\tid\tnow"])
    func malformedAssignmentsAreRejected(_ line: String) {
        #expect(MonitorAssignment(line: line) == nil)
    }

    @Test func startFailuresMapToDockerExitCodes() {
        #expect(StartFailure.exec("nosuch", errno: ENOENT).exitCode == 127)
        #expect(StartFailure.exec("/bin/nosuch", errno: ENOENT).exitCode == 127)
        #expect(StartFailure.exec("/etc/passwd", errno: EACCES).exitCode == 126)
        #expect(StartFailure.exec("nosuch", errno: ENOENT).message == "exec: \"nosuch\": executable file not found in $PATH")
    }
}

extension String {
    var trimmingSuffixNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
