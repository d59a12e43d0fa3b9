// BerthTestSupport: what integration tests share. A test runs inside
// `withTestRoot { t in … }`: it gets its own BERTH_ROOT/BERTH_RUN, a unique
// prefix for objects it names, LIFO cleanups that run even when the test
// throws, and afterwards a check that nothing it created leaked.
import Foundation
import Testing

/// Per-test state: unique directories and a cleanup stack.
public final class TestRoot: @unchecked Sendable {
    /// A short unique prefix (e.g. `bt3f9a1c`) for names the test chooses.
    public let prefix: String
    /// The test's private directory; `root` and `run` live inside it.
    public let directory: URL
    /// Passed to berth as BERTH_ROOT.
    public let root: URL
    /// Passed to berth as BERTH_RUN.
    public let run: URL

    private let lock = NSLock()
    private var cleanups: [(String, () throws -> Void)] = []

    init() throws {
        let id = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        prefix = "bt" + String(repeating: "0", count: max(0, 8 - id.count)) + id
        directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("berth-test-\(prefix)")
        root = directory.appendingPathComponent("root")
        run = directory.appendingPathComponent("run")
        for dir in [root, run] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
    }

    /// Environment for a berth child process bound to this test root.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["BERTH_ROOT"] = root.path
        env["BERTH_RUN"] = run.path
        return env
    }

    /// Registers a cleanup; cleanups run last-in, first-out.
    public func defer_(_ label: String, _ body: @escaping () throws -> Void) {
        lock.withLock { cleanups.append((label, body)) }
    }

    func runCleanups() -> [String] {
        let list = lock.withLock { () -> [(String, () throws -> Void)] in
            defer { cleanups.removeAll() }
            return cleanups
        }
        var failures: [String] = []
        for (label, body) in list.reversed() {
            do { try body() } catch { failures.append("cleanup \(label): \(error)") }
        }
        return failures
    }
}

/// Runs `body` with a fresh test root; cleans up LIFO even when `body`
/// throws, then fails the test if anything under the root leaked
/// (mounts, processes) or if berth-looking kernel objects appeared.
public func withTestRoot(_ body: (TestRoot) async throws -> Void) async throws {
    let t = try TestRoot()
    let before = LeakCheck.Snapshot.take()
    var bodyError: (any Error)?
    do { try await body(t) } catch { bodyError = error }
    var cleanupFailures = t.runCleanups()
    // berth's predefined `bridge` network (joined by every `berth run`
    // without --network) keeps its bridge and nftables table while its root
    // exists; pruning takes them down as it would for a user.
    if FileManager.default.fileExists(atPath: t.root.path + "/networks") {
        do {
            let r = try t.berth("network", "prune", "-f", "--filter", "type=builtin")
            if r.status != 0 { cleanupFailures.append("cleanup default bridge: \(r.stderr)") }
        } catch {
            cleanupFailures.append("cleanup default bridge: \(error)")
        }
    }
    let leaks = LeakCheck.leaks(under: t.directory.path, since: before)
    if leaks.isEmpty {
        try? FileManager.default.removeItem(at: t.directory)
    }
    for failure in cleanupFailures { Issue.record(Comment(rawValue: failure)) }
    for leak in leaks { Issue.record(Comment(rawValue: "leaked: \(leak)")) }
    if let bodyError { throw bodyError }
}
