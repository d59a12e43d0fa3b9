#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Runtime

/// `UnixSocket.readLine` takes one line and leaves what follows for the
/// next reader, on a socket (peeking) and on a pipe (byte by byte).
@Suite struct ReadLineTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var socket: Bool
        var testDescription: String { name }
    }

    static func pair(socket: Bool) -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        let rc = socket ? socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) : pipe(&fds)
        return rc == 0 ? (fds[0], fds[1]) : nil
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    @Test(arguments: [Case(name: "socket pair", socket: true), Case(name: "pipe", socket: false)])
    func takesOneLineAndLeavesTheRest(_ c: Case) throws {
        let (r, w) = try #require(Self.pair(socket: c.socket))
        defer { close(r) }
        Self.send(w, "go 0123 /root /run\nsecond\nthi")
        #expect(UnixSocket.readLine(r) == "go 0123 /root /run")
        #expect(UnixSocket.readLine(r) == "second")
        Self.send(w, "rd, in two writes\n")
        #expect(UnixSocket.readLine(r) == "third, in two writes")
        let long = String(repeating: "x", count: 10_000)
        Self.send(w, long + "\n")
        #expect(UnixSocket.readLine(r) == long)
        Self.send(w, "\nunterminated")
        #expect(UnixSocket.readLine(r) == "")
        close(w)
        #expect(UnixSocket.readLine(r) == nil)
    }
}
