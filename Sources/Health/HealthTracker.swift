/// The health status of one container, as Docker reports it.
public enum HealthStatus: String, Hashable, Sendable, Codable {
    case starting, healthy, unhealthy
}

/// Applies probe results to a container's health, following Docker:
/// - status starts as `starting` (reset on every container start);
/// - a success makes it `healthy` and clears the failing streak;
/// - a failure inside the start period is not counted, unless the container
///   was already healthy once;
/// - otherwise `retries` consecutive failures make it `unhealthy`.
/// Probe timing differs on purpose: until the first success berth probes
/// fast (from 50 ms, doubling, at most `interval`), or every
/// `startInterval` when one is set, so a ready dependency is noticed
/// within a fraction of a second instead of a full interval.
public struct HealthTracker: Hashable, Sendable {
    public static let maxOutput = 4096
    public static let logLength = 5
    static let firstFastDelay: UInt64 = 50 * HealthPolicy.millisecond

    public let policy: HealthPolicy
    public private(set) var status: HealthStatus = .starting
    public private(set) var failingStreak = 0
    public private(set) var log: [ProbeResult] = []
    /// When the container (re)started, in the caller's clock.
    public private(set) var startedAt: UInt64
    private var everHealthy = false
    private var fastProbes = 0

    public init(policy: HealthPolicy, startedAt: UInt64) {
        self.policy = policy
        self.startedAt = startedAt
    }

    /// Forgets everything: a restarted container starts over as `starting`,
    /// so a stale `unhealthy` from before the restart never fails a deploy.
    public mutating func containerStarted(at time: UInt64) {
        self = HealthTracker(policy: policy, startedAt: time)
    }

    public func inStartPeriod(at time: UInt64) -> Bool {
        time &- startedAt < policy.startPeriod
    }

    /// Records a probe result and returns the new status.
    @discardableResult
    public mutating func record(_ result: ProbeResult) -> HealthStatus {
        var trimmed = result
        if trimmed.output.utf8.count > Self.maxOutput {
            trimmed.output = String(decoding: trimmed.output.utf8.prefix(Self.maxOutput), as: UTF8.self)
        }
        log.append(trimmed)
        if log.count > Self.logLength { log.removeFirst(log.count - Self.logLength) }

        if result.succeeded {
            status = .healthy
            failingStreak = 0
            everHealthy = true
            return status
        }
        if inStartPeriod(at: result.start) && !everHealthy {
            return status
        }
        failingStreak += 1
        if failingStreak >= policy.retries {
            status = .unhealthy
        }
        return status
    }

    /// How long to wait after a probe ending at `time` before the next one.
    public mutating func nextDelay(at time: UInt64) -> UInt64 {
        if everHealthy || status == .unhealthy { return policy.interval }
        if let startInterval = policy.startInterval {
            return inStartPeriod(at: time) || policy.startPeriod == 0 ? min(startInterval, policy.interval) : policy.interval
        }
        let shift = min(fastProbes, 20)
        fastProbes += 1
        return min(policy.interval, Self.firstFastDelay << UInt64(shift))
    }

    /// A one-screen explanation for a failed `up`: the last probes' exit
    /// codes and output, and a hint about timing.
    public func failureReport(command: String) -> [String] {
        var lines = ["healthcheck \(command) failed \(failingStreak) time(s) in a row (retries: \(policy.retries))"]
        for probe in log.suffix(3) {
            let what: String = switch probe.outcome {
            case let .exited(code): "exit \(code)"
            case .timedOut: "timed out after \(Self.format(policy.timeout))"
            case let .failedToRun(reason): "could not run: \(reason)"
            }
            let output = probe.output.split(separator: "\n").suffix(2).joined(separator: " ⏎ ")
            lines.append("  probe: \(what)" + (output.isEmpty ? "" : ": \(output)"))
        }
        if policy.startPeriod == 0 {
            lines.append("  hint: if the service needs time to boot, set healthcheck.start_period")
        }
        return lines
    }

    static func format(_ ns: UInt64) -> String {
        ns % HealthPolicy.second == 0 ? "\(ns / HealthPolicy.second)s" : "\(ns / HealthPolicy.millisecond)ms"
    }
}
