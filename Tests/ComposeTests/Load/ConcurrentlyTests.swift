import Diagnostics
import Synchronization
import Testing

/// `Concurrently`'s pending work runs exactly once, on whichever thread
/// claims it first, and every way of settling it gives the same result.
@Suite struct ConcurrentlyTests {
    final class Counter: Sendable {
        let runs = Atomic<Int>(0)
        func count() -> Int {
            runs.add(1, ordering: .relaxed).newValue
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        /// How long this thread works before asking (iterations of a busy loop).
        var firstWork: Int
    }

    static func busy(_ n: Int) -> Int {
        var x = 0
        for i in 0..<n { x = x &+ i &* 31 }
        return x
    }

    @Test(arguments: [
        Case(testDescription: "asked at once (the thread may not have begun)", firstWork: 0),
        Case(testDescription: "asked after some work (the thread usually has begun)", firstWork: 200_000),
    ])
    func runGivesBothResultsAndRunsTheSecondOnce(_ c: Case) {
        for _ in 0..<200 {
            let counter = Counter()
            let (a, b) = Concurrently.run({ Self.busy(c.firstWork) }, beside: {
                _ = counter.count()
                return Self.busy(1000)
            })
            #expect(a == Self.busy(c.firstWork))
            #expect(b == Self.busy(1000))
            #expect(counter.runs.load(ordering: .relaxed) == 1)
        }
    }

    @Test func waitOrRunAndWaitAgreeOnOneResult() {
        for _ in 0..<200 {
            let counter = Counter()
            let pending = Concurrently.start { counter.count() }
            let first = pending.waitOrRun()
            #expect(first == 1)
            #expect(pending.wait() == 1)
            #expect(pending.waitOrRun() == 1)
            #expect(counter.runs.load(ordering: .relaxed) == 1)
        }
    }

    @Test func cancelledWorkRunsAtMostOnceAndStillAnswers() {
        for _ in 0..<200 {
            let counter = Counter()
            let pending = Concurrently.start { counter.count() }
            pending.cancelOrWait()
            let ranOnThread = counter.runs.load(ordering: .relaxed)
            #expect(ranOnThread <= 1)
            // Asked anyway: the result of the one run (here if it never ran).
            #expect(pending.wait() == 1)
            #expect(counter.runs.load(ordering: .relaxed) == 1)
        }
    }

    @Test func throwingFirstStillSettlesTheThread() {
        struct Failure: Error {}
        let counter = Counter()
        #expect(throws: Failure.self) {
            _ = try Concurrently.run({ () throws -> Int in throw Failure() }, beside: { counter.count() })
        }
        #expect(counter.runs.load(ordering: .relaxed) <= 1)
    }
}
