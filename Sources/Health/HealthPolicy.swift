// Health owns the healthcheck rules: when to probe next and what a probe's
// result does to a container's health status (Docker's semantics, with
// berth's fast start-phase probing). It is pure: callers (the per-container
// monitor, `up --wait`) run the probes and keep the clock.

/// A healthcheck's timing, in nanoseconds so it is exact and Sendable.
public struct HealthPolicy: Hashable, Sendable {
    public var interval: UInt64
    public var timeout: UInt64
    public var retries: Int
    public var startPeriod: UInt64
    /// Interval during the start period; nil means berth's adaptive
    /// start-phase probing (see `HealthTracker.nextDelay`).
    public var startInterval: UInt64?

    public static let second: UInt64 = 1_000_000_000
    public static let millisecond: UInt64 = 1_000_000

    /// Docker's defaults: 30 s interval, 30 s timeout, 3 retries, no start period.
    public init(interval: UInt64 = 30 * second, timeout: UInt64 = 30 * second, retries: Int = 3,
                startPeriod: UInt64 = 0, startInterval: UInt64? = nil) {
        self.interval = interval == 0 ? 30 * Self.second : interval
        self.timeout = timeout == 0 ? 30 * Self.second : timeout
        self.retries = retries <= 0 ? 3 : retries
        self.startPeriod = startPeriod
        self.startInterval = startInterval
    }
}

/// One probe's outcome, kept in the last-five log like Docker's `Health.Log`.
public struct ProbeResult: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        case exited(Int32)
        case timedOut
        case failedToRun(String)
    }

    public var start: UInt64
    public var end: UInt64
    public var outcome: Outcome
    /// Combined output, truncated to `HealthTracker.maxOutput` bytes.
    public var output: String

    public init(start: UInt64, end: UInt64, outcome: Outcome, output: String) {
        self.start = start
        self.end = end
        self.outcome = outcome
        self.output = output
    }

    public var succeeded: Bool { outcome == .exited(0) }

    /// Docker's ExitCode column: 0 healthy, 1 unhealthy, -1 could not run.
    public var exitCode: Int32 {
        switch outcome {
        case let .exited(code): code == 0 ? 0 : 1
        case .timedOut: -1
        case .failedToRun: -1
        }
    }
}
