/// Docker's restart policies.
public enum RestartPolicy: Equatable, Sendable, Codable, CustomStringConvertible {
    case no
    case always
    /// `on-failure[:N]`; 0 means no limit.
    case onFailure(maxRetries: Int)
    case unlessStopped

    /// Parses `--restart` values: `no`, `always`, `unless-stopped`,
    /// `on-failure`, `on-failure:N`.
    public static func parse(_ text: String) -> RestartPolicy? {
        switch text {
        case "", "no": return .no
        case "always": return .always
        case "unless-stopped": return .unlessStopped
        case "on-failure": return .onFailure(maxRetries: 0)
        default:
            guard text.hasPrefix("on-failure:"), let n = Int(text.dropFirst("on-failure:".count)), n >= 0 else { return nil }
            return .onFailure(maxRetries: n)
        }
    }

    /// Docker's `Name`.
    public var name: String {
        switch self {
        case .no: return "no"
        case .always: return "always"
        case .onFailure: return "on-failure"
        case .unlessStopped: return "unless-stopped"
        }
    }

    public var maximumRetryCount: Int {
        if case .onFailure(let n) = self { return n }
        return 0
    }

    public var description: String {
        if case .onFailure(let n) = self, n > 0 { return "on-failure:\(n)" }
        return name
    }

    /// Whether the monitor starts the process again after an exit.
    /// `restartCount` is how many restarts already happened; a stop or kill
    /// by the user is never restarted (as in Docker, until the next start).
    public func shouldRestart(exitCode: Int32, restartCount: Int, stoppedByUser: Bool) -> Bool {
        if stoppedByUser { return false }
        switch self {
        case .no: return false
        case .always, .unlessStopped: return true
        case .onFailure(let max): return exitCode != 0 && (max == 0 || restartCount < max)
        }
    }

    private enum CodingKeys: String, CodingKey { case Name, MaximumRetryCount }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .Name)
        let n = try c.decodeIfPresent(Int.self, forKey: .MaximumRetryCount) ?? 0
        switch name {
        case "", "no": self = .no
        case "always": self = .always
        case "unless-stopped": self = .unlessStopped
        case "on-failure": self = .onFailure(maxRetries: n)
        default:
            throw DecodingError.dataCorruptedError(forKey: .Name, in: c, debugDescription: "unknown restart policy \(name)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .Name)
        try c.encode(maximumRetryCount, forKey: .MaximumRetryCount)
    }
}

/// Docker's restart back-off: 100 ms before the first restart, doubling
/// each time up to one minute, back to 100 ms once a run lasted 10 s.
public struct RestartBackoff: Equatable, Sendable {
    public static let initial = 0.1
    public static let maximum = 60.0
    public static let resetAfter = 10.0

    /// The delay used for the previous restart; 0 before any.
    public private(set) var current: Double = 0

    public init() {}

    /// The delay before the next restart, given how long the run that just
    /// ended lasted (seconds).
    public mutating func next(ranFor duration: Double) -> Double {
        if duration >= RestartBackoff.resetAfter { current = 0 }
        current = current == 0 ? RestartBackoff.initial : min(current * 2, RestartBackoff.maximum)
        return current
    }
}
