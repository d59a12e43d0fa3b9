import Diagnostics
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Testing

/// `Sys.readAll`: regular files read by their size, others in steps.
@Suite struct ReadAllTests {
    static func scratch(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "berth-readall-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 65536, 200_000])
    func regularFilesReadWhole(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = try Self.scratch(bytes)
        defer { unlink(path) }
        #expect(try Sys.readBytes(path) == bytes)
    }

    @Test func readsFromTheDescriptorsOffsetAndWhatTheFileGrewBy() throws {
        let path = try Self.scratch(Array("0123456789".utf8))
        defer { unlink(path) }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(lseek(fd, 4, SEEK_SET) == 4)
        #expect(try Sys.readAll(fd: fd, path: path) == Array("456789".utf8))
        // Appended after the size was taken at the next call: read on to the new end.
        let more = Array(repeating: UInt8(ascii: "x"), count: 70_000)
        _ = more.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 10) }
        #expect(lseek(fd, 0, SEEK_SET) == 0)
        #expect(try Sys.readAll(fd: fd, path: path) == Array("0123456789".utf8) + more)
    }

    @Test func procFilesOfSizeZeroAreReadInSteps() throws {
        let status = String(decoding: try Sys.readBytes("/proc/self/status"), as: UTF8.self)
        #expect(status.hasPrefix("Name:"))
        #expect(status.contains("\nPid:\t\(getpid())\n"))
    }

    /// A /proc/sys number ends at the first read from a later offset: it
    /// must come whole from the first.
    @Test(arguments: ["/proc/sys/kernel/cap_last_cap", "/proc/sys/kernel/pid_max", "/proc/sys/kernel/shmmni"])
    func procSysNumbersReadWhole(path: String) throws {
        let text = String(decoding: try Sys.readBytes(path), as: UTF8.self)
        #expect(text == (try String(contentsOfFile: path, encoding: .utf8)))
        #expect(text.hasSuffix("\n") && Int(text.dropLast()) != nil, "\(path): \(text.debugDescription)")
    }

    @Test func pipesAreReadToTheirEnd() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let bytes = Array(repeating: UInt8(ascii: "p"), count: 10_000)
        _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        defer { close(fds[0]) }
        #expect(try Sys.readAll(fd: fds[0], path: "pipe") == bytes)
    }

    @Test func pastTheLimitIsEFBIGNamingThePath() throws {
        let path = try Self.scratch(Array(repeating: 1, count: 100))
        defer { unlink(path) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        #expect(try Sys.readAll(fd: fd, path: path, limit: 100).count == 100)
        #expect(lseek(fd, 0, SEEK_SET) == 0)
        #expect(throws: SystemError("read", path, errno: EFBIG)) { try Sys.readAll(fd: fd, path: path, limit: 99) }
    }

    @Test func aMissingFileNamesItself() {
        #expect(throws: SystemError("open", "/nonexistent/berth-readall", errno: ENOENT)) {
            try Sys.readBytes("/nonexistent/berth-readall")
        }
    }
}
