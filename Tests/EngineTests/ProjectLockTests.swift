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

    @Test func waiterGetsTheLockWhenTheHolderLetsGo() throws {
        let paths = try tempPaths()
        let first = Holder(try ProjectLock(paths: paths, project: "p"))
        // The holder lets go on a thread of its own, not in a task: the wait
        // below blocks this thread, and under a busy test run the
        // cooperative pool may have no other thread left for such a task.
        let releaser = Concurrently.start {
            usleep(100_000)
            first.lock.release()
        }
        let second = try ProjectLock(paths: paths, project: "p", timeout: 5)
        second.release()
        releaser.wait()
    }

    /// Hands the first lock to the releasing thread (only that thread uses it
    /// until it is joined).
    final class Holder: @unchecked Sendable {
        let lock: ProjectLock
        init(_ lock: ProjectLock) { self.lock = lock }
    }
}
