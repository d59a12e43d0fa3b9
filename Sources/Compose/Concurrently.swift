#if canImport(Glibc)
import Glibc
#endif

/// Runs two independent, pure computations at the same time: `second` on
/// a thread of its own, `first` on the caller's thread. The loader uses it
/// for phases that only read the same immutable tree (validation beside
/// normalization, the project model beside the reference checks), so a
/// load uses a second core. Results are exactly what running them one
/// after the other gives; when no thread can be started, `second` simply
/// runs after `first`.
enum Concurrently {
    static func run<A, B: Sendable>(_ first: () throws -> A,
                                    beside second: @escaping @Sendable () -> B) rethrows -> (A, B) {
        let job = Job(second)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let started = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<AnyJob>.fromOpaque(raw).takeRetainedValue().execute()
            return nil
        }, context) == 0
        if !started { Unmanaged<AnyJob>.fromOpaque(context).release() }
        // The thread reads the job until it is joined: join on every way
        // out, `first` throwing included.
        var joined = !started
        defer { if !joined { pthread_join(thread, nil) } }
        let a = try first()
        if started {
            pthread_join(thread, nil)
            joined = true
        } else {
            job.execute()
        }
        // `execute` always leaves a result; computing it here is only the
        // fallback the type system asks for.
        let b = job.result ?? second()
        return (a, b)
    }

    /// The non-generic face of `Job`, for the thread's C entry point.
    private class AnyJob: @unchecked Sendable {
        func execute() {}
    }

    /// The work and, once `execute` ran, its result. Read by the caller
    /// only after `pthread_join`, which orders the accesses.
    private final class Job<B>: AnyJob, @unchecked Sendable {
        let work: @Sendable () -> B
        var result: B?
        init(_ work: @escaping @Sendable () -> B) { self.work = work }
        override func execute() { result = work() }
    }
}
