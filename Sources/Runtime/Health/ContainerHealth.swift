import Health

/// A healthcheck the container's monitor runs: the Compose `healthcheck`
/// (or the image's HEALTHCHECK) resolved to an argv and Docker's timing.
/// Stored in the container record so probing goes on after `berth up` exits.
public struct ContainerHealthcheck: Codable, Sendable, Equatable {
    /// Exec form (`CMD`), or `/bin/sh -c …` for `CMD-SHELL`.
    public var argv: [String]
    /// The test as the user wrote it, for reports.
    public var text: String
    public var interval: UInt64
    public var timeout: UInt64
    public var retries: Int
    public var startPeriod: UInt64
    public var startInterval: UInt64?

    public init(argv: [String], text: String, policy: HealthPolicy) {
        self.argv = argv
        self.text = text
        interval = policy.interval
        timeout = policy.timeout
        retries = policy.retries
        startPeriod = policy.startPeriod
        startInterval = policy.startInterval
    }

    public var policy: HealthPolicy {
        HealthPolicy(interval: interval, timeout: timeout, retries: retries, startPeriod: startPeriod,
                     startInterval: startInterval)
    }
}

/// The container's health as its monitor last saw it (state.json).
public struct HealthState: Codable, Sendable, Equatable {
    /// `starting`, `healthy` or `unhealthy` (Docker's words).
    public var status: String
    public var failingStreak: Int
    /// Why it is unhealthy: the last probes' exit codes and output.
    public var report: [String]

    public init(status: String, failingStreak: Int = 0, report: [String] = []) {
        self.status = status
        self.failingStreak = failingStreak
        self.report = report
    }

    public var healthStatus: HealthStatus? { HealthStatus(rawValue: status) }
}
