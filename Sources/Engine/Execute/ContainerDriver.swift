import Health

/// What the executor observes of a container.
public struct ObservedContainer: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case created, running, paused, restarting
        case exited(Int32)
        case dead
    }

    public var status: Status
    /// nil when the container has no healthcheck.
    public var health: HealthStatus?
    /// Lines explaining a health failure (HealthTracker.failureReport), if any.
    public var healthReport: [String]

    public init(status: Status, health: HealthStatus? = nil, healthReport: [String] = []) {
        self.status = status
        self.health = health
        self.healthReport = healthReport
    }
}

/// The executor's only window on containers. The real driver creates
/// records, starts monitors and wires networks; tests use a fake.
public protocol ContainerDriver: Sendable {
    /// The name container `number` of `service` gets (`<project>-<service>-<n>`).
    func name(service: String, number: Int) -> String
    /// Creates (not starts) container `number` of `service`; returns its name.
    func create(service: String, number: Int) async throws -> String
    func start(_ name: String) async throws
    func stop(_ name: String) async throws
    func remove(_ name: String) async throws
    func observe(_ name: String) async throws -> ObservedContainer
    /// The last lines of a container's log, for failure reports.
    func lastLogLines(_ name: String, count: Int) async -> [String]
}

/// A `depends_on` edge as execution needs it.
public struct DependencyRequirement: Hashable, Sendable {
    public enum Condition: Hashable, Sendable {
        case started, healthy, completedSuccessfully
    }

    public var condition: Condition
    public var required: Bool

    public init(condition: Condition, required: Bool = true) {
        self.condition = condition
        self.required = required
    }
}
