import Testing
import Diagnostics
import Foundation
@testable import Engine

@Suite struct ProjectLockTests {
    func tempPaths() throws -> StatePaths {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return StatePaths(root: dir.path + "/root", run: dir.path + "/run")
    }

    @Test func secondHolderFailsClearlyAndSucceedsAfterRelease() throws {
        let paths = try tempPaths()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: paths.run).deletingLastPathComponent().path) }
        let first = try ProjectLock(paths: paths, project: "hello")
        var waitedFor: Int32?
        // flock locks belong to open file descriptions, so a second open in
        // the same process contends like another process would.
        #expect(throws: LockBusy.self) {
            _ = try ProjectLock(paths: paths, project: "hello", timeout: 0.1, onWait: { waitedFor = $0 })
        }
        #expect(waitedFor == getpid())
        let other = try ProjectLock(paths: paths, project: "other", timeout: 0)
        other.release()
        first.release()
        let again = try ProjectLock(paths: paths, project: "hello", timeout: 0)
        again.release()
    }

    @Test func waiterGetsTheLockWhenTheHolderLetsGo() async throws {
        let paths = try tempPaths()
        let first = try ProjectLock(paths: paths, project: "p")
        let releaser = Task {
            try await Task.sleep(nanoseconds: 100_000_000)
            first.release()
        }
        let second = try ProjectLock(paths: paths, project: "p", timeout: 5)
        second.release()
        try await releaser.value
    }
}
