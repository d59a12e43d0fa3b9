/// What the project asks of one service, reduced to what planning needs.
public struct DesiredService: Hashable, Sendable {
    public var name: String
    public var replicas: Int
    /// The service's config hash (ServiceGraph.configHash).
    public var configHash: String
    /// The image the service would run now (manifest or config digest), when known.
    public var imageID: String?
    /// The normalized service flattened to key path → canonical value, used only
    /// to say which fields changed when the hash differs.
    public var fields: [String: String]
    /// Dependencies, by service name.
    public var dependencies: [String: DependencyEdge]
    /// Restart policy `no`: a container that exited 0 has done its job
    /// (a migration, a seed) and is left alone rather than run again.
    public var runsToCompletion: Bool = false

    public init(name: String, replicas: Int = 1, configHash: String, imageID: String? = nil,
                fields: [String: String] = [:], dependencies: [String: DependencyEdge] = [:]) {
        self.name = name
        self.replicas = replicas
        self.configHash = configHash
        self.imageID = imageID
        self.fields = fields
        self.dependencies = dependencies
    }
}

/// One `depends_on` edge as planning sees it.
public struct DependencyEdge: Hashable, Sendable {
    /// `restart: true`: restart the dependent when this dependency is updated.
    public var restartOnUpdate: Bool
    /// `network_mode: service:NAME`: the dependent lives in this service's
    /// network namespace, so it is recreated whenever this service's
    /// container is replaced (as Compose does).
    public var sharesNetwork: Bool

    public init(restartOnUpdate: Bool = false, sharesNetwork: Bool = false) {
        self.restartOnUpdate = restartOnUpdate
        self.sharesNetwork = sharesNetwork
    }
}

/// A container that exists for the project, read back from its labels and state.
public struct ActualContainer: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case created, running, paused, restarting, exited(Int32), dead
    }

    public var id: String
    public var name: String
    public var service: String
    public var number: Int
    public var oneOff: Bool
    public var configHash: String
    public var imageID: String?
    public var fields: [String: String]
    public var status: Status
    /// Stopped by `stop`/`down`/Ctrl-C rather than by finishing on its own.
    public var stoppedByUser: Bool = false

    public init(id: String, name: String, service: String, number: Int, oneOff: Bool = false,
                configHash: String, imageID: String? = nil, fields: [String: String] = [:],
                status: Status, stoppedByUser: Bool = false) {
        self.stoppedByUser = stoppedByUser
        self.id = id
        self.name = name
        self.service = service
        self.number = number
        self.oneOff = oneOff
        self.configHash = configHash
        self.imageID = imageID
        self.fields = fields
        self.status = status
    }

    var isUp: Bool {
        switch status {
        case .running, .restarting, .paused: true
        default: false
        }
    }
}

/// Flags of `up` that change the plan.
public struct PlanOptions: Hashable, Sendable {
    public enum Recreate: Hashable, Sendable {
        /// Recreate containers whose config or image changed (the default).
        case diverged
        /// `--force-recreate`.
        case force
        /// `--no-recreate`.
        case never
    }

    public var recreate: Recreate
    /// `--remove-orphans`.
    public var removeOrphans: Bool
    /// Every service the project defines (enabled or not): containers of
    /// services outside this set are orphans.
    public var projectServices: Set<String>

    public init(recreate: Recreate = .diverged, removeOrphans: Bool = false, projectServices: Set<String>) {
        self.recreate = recreate
        self.removeOrphans = removeOrphans
        self.projectServices = projectServices
    }
}
