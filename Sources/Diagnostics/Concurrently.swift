#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
    /// `first` on this thread while `second` runs on another. When this
    /// thread is done with `first` before the other thread has begun
    /// `second` (a busy machine, no core free), `second` runs here instead
    /// of waiting for the scheduler: the same result, no worse than
    /// running both in turn.
    public static func run<A, B: Sendable>(_ first: () throws -> A,
                                    beside second: @escaping @Sendable () -> B) rethrows -> (A, B) {
        let pending = start(second)
        // The thread reads the job until it is joined: settle it on every
        // way out, `first` throwing included.
        defer { pending.cancelOrWait() }
        let a = try first()
        return (a, pending.waitOrRun())
    }

    /// Starts `work` on a thread of its own; `Pending.wait` gives its result.
    public static func start<B: Sendable>(_ work: @escaping @Sendable () -> B) -> Pending<B> {
        Pending(work)
    }

    /// Work started on another thread. `wait` joins it and returns its
    /// result; `waitOrRun` runs it here when the thread has not begun it;
    /// `cancelOrWait` keeps it from beginning. One of them must be called
    /// before the value is dropped, from one thread at a time (the caller
    /// uses them from the thread that started it). The work runs once at
    /// most, on whichever thread claims it first.
    public final class Pending<B: Sendable>: @unchecked Sendable {
        private let job: Job<B>
        private var thread = pthread_t()
        /// A thread was started and is neither joined nor detached.
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

        /// Waits for the thread to finish the work and returns its result.
        public func wait() -> B {
            join()
            if let result = job.result { return result }
            // No thread could be started (or the work was cancelled): it runs here.
            return job.runHere()
        }

        /// The result: computed here when the thread has not begun the
        /// work yet (it then finds nothing to do), else waited for.
        public func waitOrRun() -> B {
            if job.claim() {
                detach()
                return job.runHere()
            }
            return wait()
        }

        /// Makes sure the work never begins when the thread has not begun
        /// it yet; otherwise waits for the thread to finish it.
        public func cancelOrWait() {
            if job.claim() { detach() } else { join() }
        }

        private func join() {
            guard running else { return }
            pthread_join(thread, nil)
            running = false
        }

        private func detach() {
            guard running else { return }
            pthread_detach(thread)
            running = false
        }
    }

    /// The non-generic face of `Job`, for the thread's C entry point.
    private class AnyJob: @unchecked Sendable {
        func execute() {}
    }

    /// The work and, once it ran, its result. The thread that claims the
    /// work first runs it; the starting thread reads a result the other
    /// thread wrote only after `pthread_join`, which orders the accesses.
    private final class Job<B>: AnyJob, @unchecked Sendable {
        let work: @Sendable () -> B
        var result: B?
        private let claimed = Atomic<Bool>(false)

        init(_ work: @escaping @Sendable () -> B) { self.work = work }

        /// Whether this call is the first to claim the work.
        func claim() -> Bool {
            claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        }

        /// On the started thread: the work, unless it was claimed already.
        override func execute() {
            if claim() { result = work() }
        }

        /// On the starting thread, once the work is claimed.
        func runHere() -> B {
            let value = work()
            result = value
            return value
        }
    }
}
