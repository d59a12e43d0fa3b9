import Foundation
import Testing
@testable import Compose

/// Reading ahead must not consume or wait on a pipe (`-f <(…)`): with
/// `regularFilesOnly`, anything but a regular file reads as absent.
@Suite struct RegularFilesOnlyTests {
    @Test func onlyRegularFilesAreRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-regular-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/compose.yaml", fifo = dir + "/pipe"
        try Data("services: {}\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(mkfifo(fifo, 0o600) == 0)

        let ahead = LocalFileSystem(regularFilesOnly: true)
        #expect(try ahead.read(file) == Array("services: {}\n".utf8))
        // No writer: a plain open would block here.
        #expect(try ahead.read(fifo) == nil)
        #expect(try ahead.read(dir) == nil)
        #expect(try ahead.read("/dev/null") == nil)
        #expect(try ahead.read(dir + "/missing") == nil)
        // The loader's own reads are unchanged.
        #expect(try LocalFileSystem().read("/dev/null") == [])
    }
}
