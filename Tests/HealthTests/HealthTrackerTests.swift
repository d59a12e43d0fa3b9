import Testing
@testable import Health

private let s = HealthPolicy.second
private let ms = HealthPolicy.millisecond

private func probe(_ at: UInt64, _ code: Int32, _ output: String = "") -> ProbeResult {
    ProbeResult(start: at, end: at + ms, outcome: .exited(code), output: output)
}

@Suite struct HealthTrackerTests {
    @Test func successMakesHealthyAndFailuresCountToRetries() {
        var t = HealthTracker(policy: HealthPolicy(interval: 2 * s, retries: 3), startedAt: 0)
        #expect(t.status == .starting)
        #expect(t.record(probe(1 * s, 0)) == .healthy)
        #expect(t.record(probe(2 * s, 1)) == .healthy)
        #expect(t.record(probe(3 * s, 1)) == .healthy)
        #expect(t.record(probe(4 * s, 1)) == .unhealthy)
        #expect(t.failingStreak == 3)
        #expect(t.record(probe(5 * s, 0)) == .healthy)
        #expect(t.failingStreak == 0)
    }

    @Test func failuresInStartPeriodDoNotCountUntilFirstSuccess() {
        var t = HealthTracker(policy: HealthPolicy(retries: 1, startPeriod: 10 * s), startedAt: 0)
        #expect(t.record(probe(1 * s, 1)) == .starting)
        #expect(t.record(probe(2 * s, 1)) == .starting)
        #expect(t.failingStreak == 0)
        #expect(t.record(probe(3 * s, 0)) == .healthy)
        // Once healthy, failures count even inside the start period.
        #expect(t.record(probe(4 * s, 1)) == .unhealthy)
        // After the start period, failures count from the start.
        var late = HealthTracker(policy: HealthPolicy(retries: 1, startPeriod: 10 * s), startedAt: 0)
        #expect(late.record(probe(11 * s, 1)) == .unhealthy)
    }

    @Test func timeoutsAndRunFailuresAreFailures() {
        var t = HealthTracker(policy: HealthPolicy(retries: 2), startedAt: 0)
        t.record(ProbeResult(start: 1, end: 2, outcome: .timedOut, output: ""))
        #expect(t.record(ProbeResult(start: 3, end: 4, outcome: .failedToRun("no such file"), output: "")) == .unhealthy)
        #expect(t.log.map(\.exitCode) == [-1, -1])
    }

    @Test func restartResetsStaleStatus() {
        var t = HealthTracker(policy: HealthPolicy(retries: 1), startedAt: 0)
        t.record(probe(1 * s, 1))
        #expect(t.status == .unhealthy)
        t.containerStarted(at: 100 * s)
        #expect(t.status == .starting)
        #expect(t.log.isEmpty)
        #expect(t.startedAt == 100 * s)
    }

    @Test func logKeepsLastFiveAndTruncatesOutput() {
        var t = HealthTracker(policy: HealthPolicy(), startedAt: 0)
        for i in 0..<7 { t.record(probe(UInt64(i) * s, 0, String(repeating: "x", count: 5000))) }
        #expect(t.log.count == 5)
        #expect(t.log.first?.start == 2 * s)
        #expect(t.log.allSatisfy { $0.output.utf8.count == HealthTracker.maxOutput })
    }

    @Test func probesFastUntilFirstSuccessThenAtInterval() {
        var t = HealthTracker(policy: HealthPolicy(interval: 1 * s), startedAt: 0)
        let delays = (0..<6).map { _ in t.nextDelay(at: 0) }
        #expect(delays == [50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1 * s])
        t.record(probe(2 * s, 0))
        #expect(t.nextDelay(at: 2 * s) == 1 * s)
    }

    @Test func startIntervalIsUsedDuringStartPeriod() {
        var t = HealthTracker(policy: HealthPolicy(interval: 30 * s, startPeriod: 5 * s, startInterval: 200 * ms),
                              startedAt: 0)
        #expect(t.nextDelay(at: 1 * s) == 200 * ms)
        #expect(t.nextDelay(at: 6 * s) == 30 * s)
    }

    @Test func failureReportShowsProbesAndHint() {
        var t = HealthTracker(policy: HealthPolicy(retries: 2), startedAt: 0)
        t.record(probe(1 * s, 7, "connection refused"))
        t.record(ProbeResult(start: 2 * s, end: 3 * s, outcome: .timedOut, output: ""))
        let report = t.failureReport(command: "[\"CMD\", \"pg_isready\"]")
        #expect(report[0] == "healthcheck [\"CMD\", \"pg_isready\"] failed 2 time(s) in a row (retries: 2)")
        #expect(report[1] == "  probe: exit 7: connection refused")
        #expect(report[2] == "  probe: timed out after 30s")
        #expect(report.last?.contains("start_period") == true)
    }
}
