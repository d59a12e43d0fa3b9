import Foundation

/// Runs every job at once, the first on the calling thread and each other on
/// a thread of its own, and returns when all have finished; rethrows the
/// error of the first job (in `jobs` order) that failed. For kernel calls
/// that mostly wait (deleting a bridge waits for RCU grace periods), so
/// their waits overlap instead of adding up.
func inParallel(_ jobs: [@Sendable () throws -> Void]) throws {
    guard jobs.count > 1 else {
        try jobs.first?()
        return
    }
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var results: [Result<Void, any Error>?]
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ r: Result<Void, any Error>) { lock.withLock { results[i] = r } }
    }
    let results = Results(jobs.count)
    let done = DispatchGroup()
    for i in jobs.indices.dropFirst() {
        let job = jobs[i]
        done.enter()
        Thread.detachNewThread {
            results.set(i, Result { try job() })
            done.leave()
        }
    }
    results.set(0, Result { try jobs[0]() })
    done.wait()
    for r in results.results { try r?.get() }
}
