#if canImport(Glibc)
import Glibc
#endif

/// Runs independent computations at the same time, each extra one on a
/// thread of its own (plain pthreads: for CPU work and blocking kernel calls
/// alike, outside Swift's cooperative pool). The compose loader uses it for
/// phases that only read the same immutable tree (validation beside
/// normalization, the project model beside the reference checks), so a load
/// uses a second core; networking for kernel calls that mostly wait (bridge
/// deletion beside the nftables transaction). Results are exactly what
/// running them one after the other gives; when no thread can be started,
/// the work simply runs when its result is asked for.
public enum Concurrently {
    /// `first` on this thread while `second` runs on another.
    public static func run<A, B: Sendable>(_ first: () throws -> A,
                                    beside second: @escaping @Sendable () -> B) rethrows -> (A, B) {
        let pending = start(second)
        // The thread reads the job until it is joined: wait on every way
        // out, `first` throwing included.
        defer { _ = pending.wait() }
        let a = try first()
        return (a, pending.wait())
    }

    /// Starts `work` on a thread of its own; `Pending.wait` gives its result.
    public static func start<B: Sendable>(_ work: @escaping @Sendable () -> B) -> Pending<B> {
        Pending(work)
    }

    /// Work started on another thread. `wait` joins it (once) and returns
    /// its result; it must be called before the value is dropped, from one
    /// thread at a time (the loader calls it from the thread that started it).
    public final class Pending<B: Sendable>: @unchecked Sendable {
        private let job: Job<B>
        private var thread = pthread_t()
        private var running: Bool

        fileprivate init(_ work: @escaping @Sendable () -> B) {
            job = Job(work)
            let context = Unmanaged.passRetained(job as AnyJob).toOpaque()
            running = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<AnyJob>.fromOpaque(raw).takeRetainedValue().execute()
                return nil
            }, context) == 0
            if !running { Unmanaged<AnyJob>.fromOpaque(context).release() }
        }

        public func wait() -> B {
            if running {
                pthread_join(thread, nil)
                running = false
            }
            if let result = job.result { return result }
            // No thread could be started: the work runs here.
            job.execute()
            return job.result ?? job.work()
        }
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
