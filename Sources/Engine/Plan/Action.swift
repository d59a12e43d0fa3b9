/// Why an action is planned; `up --dry-run` prints it.
public enum Reason: Hashable, Sendable, CustomStringConvertible {
    case missing
    case scaledUp
    case scaledDown
    case configChanged(fields: [String])
    case imageChanged(from: String?, to: String?)
    case forced
    case notRunning
    case dependencyUpdated(String)
    /// `network_mode: service:NAME` and NAME's container is being replaced.
    case networkOwnerReplaced(String)
    case orphan
    case upToDate

    public var description: String {
        switch self {
        case .missing: "not created yet"
        case .scaledUp: "scaled up"
        case .scaledDown: "scaled down"
        case let .configChanged(fields) where fields.isEmpty: "configuration changed"
        case let .configChanged(fields):
            "configuration changed: " + fields.prefix(5).joined(separator: ", ")
                + (fields.count > 5 ? " and \(fields.count - 5) more" : "")
        case let .imageChanged(from, to):
            "image changed (\(Self.short(from)) → \(Self.short(to)))"
        case .forced: "--force-recreate"
        case .notRunning: "not running"
        case let .dependencyUpdated(dep): "dependency \(dep) was updated (restart: true)"
        case let .networkOwnerReplaced(owner): "uses the network of \(owner), which is being replaced"
        case .orphan: "service no longer in the project"
        case .upToDate: "up to date"
        }
    }

    private static func short(_ digest: String?) -> String {
        guard let digest else { return "none" }
        let hex = digest.split(separator: ":").last.map(String.init) ?? digest
        return String(hex.prefix(12))
    }
}

/// One step toward the desired state.
public enum Action: Hashable, Sendable {
    /// Create and start a new container `<project>-<service>-<number>`.
    case create(service: String, number: Int, reason: Reason)
    /// Stop and remove `container`, then create its replacement with the same number.
    case recreate(container: ActualContainer, reason: Reason)
    /// Start an existing, stopped container.
    case start(container: ActualContainer, reason: Reason)
    /// Restart a running container.
    case restart(container: ActualContainer, reason: Reason)
    /// Stop and remove a container.
    case remove(container: ActualContainer, reason: Reason)
    /// Nothing to do for this container.
    case keep(container: ActualContainer)

    public var service: String {
        switch self {
        case let .create(service, _, _): service
        case let .recreate(c, _), let .start(c, _), let .restart(c, _), let .remove(c, _), let .keep(c): c.service
        }
    }

    public var changesSomething: Bool {
        if case .keep = self { return false }
        return true
    }
}

/// The result of planning: actions grouped in dependency waves, plus orphans.
public struct Plan: Hashable, Sendable {
    /// Each wave's actions may run in parallel; waves run in order.
    public var waves: [[Action]]
    /// Orphan containers left alone (no `--remove-orphans`): `up` warns about them.
    public var orphans: [ActualContainer]
    /// Orphan removals, run before the waves when `--remove-orphans` is set.
    public var orphanRemovals: [Action]

    public var isNoop: Bool {
        orphanRemovals.isEmpty && waves.allSatisfy { $0.allSatisfy { !$0.changesSomething } }
    }
}
