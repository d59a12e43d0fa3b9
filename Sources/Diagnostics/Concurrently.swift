#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs independent computations at the same time, each extra one on a
/// thread of its own (plain pthreads, kept between jobs: for CPU work and
/// blocking kernel calls alike, outside Swift's cooperative pool). The compose loader uses it for
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

    /// Starts `work` on another thread (an idle worker, else a new one);
    /// `Pending.wait` gives its result.
    public static func start<B: Sendable>(_ work: @escaping @Sendable () -> B) -> Pending<B> {
        Pending(work)
    }

    /// Work started on another thread. `wait` waits for it and returns its
    /// result; `waitOrRun` runs it here when the thread has not begun it;
    /// `cancelOrWait` keeps it from beginning. One of them must be called
    /// before the value is dropped, from one thread at a time (the caller
    /// uses them from the thread that started it). The work runs once at
    /// most, on whichever thread claims it first.
    public final class Pending<B: Sendable>: @unchecked Sendable {
        private let job: Job<B>
        /// The work was handed to a thread that has not been waited for.
        private var running: Bool

        fileprivate init(_ work: @escaping @Sendable () -> B) {
            job = Job(work)
            running = Worker.hand(job)
        }

        /// Waits for the thread to finish the work and returns its result.
        public func wait() -> B {
            settle()
            if let result = job.result { return result }
            // No thread could be started (or the work was cancelled): it runs here.
            return job.runHere()
        }

        /// The result: computed here when the thread has not begun the
        /// work yet (it then finds nothing to do), else waited for.
        public func waitOrRun() -> B {
            if job.claim() {
                running = false
                return job.runHere()
            }
            return wait()
        }

        /// Makes sure the work never begins when the thread has not begun
        /// it yet; otherwise waits for the thread to finish it.
        public func cancelOrWait() {
            if job.claim() { running = false } else { settle() }
        }

        /// Waits until the thread is done with the work (the work's result
        /// is then visible here).
        private func settle() {
            guard running else { return }
            job.waitUntilFinished()
            running = false
        }
    }

    /// A thread that runs the work it is handed, one job at a time, and
    /// between jobs waits for the next one (idle, on its semaphore) rather
    /// than ending: the loader hands out about six jobs per load, and a new
    /// thread for each cost its creation, its stack's page faults and, at
    /// its end, glibc's `madvise` of that stack. A job finding no idle
    /// worker gets a new one (jobs that overlap, e.g. normalization's second
    /// half within validation's, each have a thread). Idle workers are never
    /// ended; a process has as many as it ever had jobs at the same time.
    private final class Worker: @unchecked Sendable {
        /// Idle workers, most recently idle last.
        private static let idle = Mutex<[Worker]>([])

        private let wake: UnsafeMutablePointer<sem_t>
        /// The job to run next; written before `wake` is posted.
        private var job: AnyJob?

        private init(_ first: AnyJob) {
            wake = .allocate(capacity: 1)
            sem_init(wake, 0, 0)
            job = first
        }

        /// Starts `job` on an idle worker or a new one; false when no
        /// thread could be started.
        static func hand(_ job: AnyJob) -> Bool {
            if let worker = idle.withLock({ $0.popLast() }) {
                worker.job = job
                sem_post(worker.wake)
                return true
            }
            let worker = Worker(job)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(worker).toOpaque()
            guard pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<Worker>.fromOpaque(raw).takeRetainedValue().loop()   // never returns
            }, context) == 0 else {
                Unmanaged<Worker>.fromOpaque(context).release()
                return false
            }
            pthread_detach(thread)
            return true
        }

        private func loop() -> Never {
            while true {
                if let job {
                    self.job = nil
                    // Idle again before the job is reported finished, so
                    // that work started right after the wait finds this
                    // worker.
                    job.execute { Worker.idle.withLock { $0.append(self) } }
                }
                while sem_wait(wake) != 0 {}
            }
        }
    }

    /// The non-generic face of `Job`, for the worker thread.
    private class AnyJob: @unchecked Sendable {
        /// Posted once the thread is done with the job (ran it or found it claimed).
        let finished: UnsafeMutablePointer<sem_t>

        init() {
            finished = .allocate(capacity: 1)
            sem_init(finished, 0, 0)
        }

        deinit {
            sem_destroy(finished)
            finished.deallocate()
        }

        /// On the worker: the work unless it was claimed already, then
        /// `idle`, then `finished` posted.
        func execute(then idle: () -> Void) {
            idle()
            sem_post(finished)
        }

        func waitUntilFinished() {
            while sem_wait(finished) != 0 {}
        }
    }

    /// The work and, once it ran, its result. The thread that claims the
    /// work first runs it; the starting thread reads a result the worker
    /// wrote only after waiting for `finished` (sem_post/sem_wait order
    /// the accesses).
    private final class Job<B>: AnyJob, @unchecked Sendable {
        let work: @Sendable () -> B
        var result: B?
        private let claimed = Atomic<Bool>(false)

        init(_ work: @escaping @Sendable () -> B) {
            self.work = work
            super.init()
        }

        /// Whether this call is the first to claim the work.
        func claim() -> Bool {
            claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        }

        override func execute(then idle: () -> Void) {
            if claim() { result = work() }
            super.execute(then: idle)
        }

        /// On the starting thread, once the work is claimed.
        func runHere() -> B {
            let value = work()
            result = value
            return value
        }
    }
}
