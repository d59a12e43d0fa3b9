import Diagnostics

/// Runs every job at once, the first on the calling thread and each other on
/// a thread of its own (`Concurrently`), and returns when all have finished;
/// rethrows the error of the first job (in `jobs` order) that failed. For
/// kernel calls that mostly wait (deleting a bridge waits for RCU grace
/// periods), so their waits overlap instead of adding up.
func inParallel(_ jobs: [@Sendable () throws -> Void]) throws {
    guard let first = jobs.first else { return }
    let others = jobs.dropFirst().map { job in Concurrently.start { Result { try job() } } }
    let firstResult = Result { try first() }
    let results = [firstResult] + others.map { $0.wait() }
    for r in results { try r.get() }
}
