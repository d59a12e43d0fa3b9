import Diagnostics
import YAML

/// One service of a normalized project, as plain values a runtime can use.
/// `definition` keeps the normalized tree it was read from (with marks),
/// which is also what `ServiceGraph.configHash` hashes.
public struct ComposeService: Hashable, Sendable {
    public var name: String
    /// Where the service is declared (its key in `services:`).
    public var mark: Mark
    public var definition: Node

    public var image: String?
    public var build: BuildSpec?
    public var pullPolicy: String?
    public var platform: String?
    public var command: ComposeCommand?
    public var entrypoint: ComposeCommand?
    /// A nil value: declared without a value and not set in the environment.
    public var environment: [String: String?]
    public var ports: [PortMapping]
    public var expose: [String]
    public var volumes: [ServiceVolume]
    public var volumesFrom: [String]
    public var tmpfs: [String]
    /// Empty when `networkMode` is set.
    public var networks: [String: ServiceNetworkAttachment]
    public var networkMode: String?
    /// Service-level `mac_address`: the MAC of the first network's interface
    /// (a network's own `mac_address` wins).
    public var macAddress: String?
    public var dependsOn: [String: ServiceDependency]
    public var links: [String]
    public var healthcheck: HealthcheckSpec?
    public var restart: ComposeRestartPolicy
    /// `scale` / `deploy.replicas` (reconciled by the normalizer), default 1.
    public var replicas: Int
    public var containerName: String?
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var domainname: String?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var capAdd: [String]
    public var capDrop: [String]
    public var privileged: Bool
    public var readOnly: Bool
    /// `init: true` runs an init process as PID 1; nil when not set.
    public var initProcess: Bool?
    public var tty: Bool
    public var stdinOpen: Bool
    public var stopSignal: String?
    public var stopGracePeriod: ComposeDuration?
    public var ulimits: [String: ServiceUlimit]
    public var sysctls: [String: String]
    public var memLimit: Int64?
    /// -1 means unlimited swap.
    public var memswapLimit: Int64?
    public var memReservation: Int64?
    public var cpus: Double?
    public var cpuShares: Int?
    public var cpuset: String?
    public var pidsLimit: Int?
    public var shmSize: Int64?
    public var extraHosts: [String: [String]]
    public var dns: [String]
    public var dnsSearch: [String]
    public var dnsOpt: [String]
    public var securityOpt: [String]
    public var groupAdd: [String]
    public var devices: [ServiceDevice]
    public var pid: String?
    public var ipc: String?
    public var profiles: [String]
    /// Whether `up` attaches to this service's output (default true).
    public var attach: Bool
    public var logging: LoggingSpec?
    public var secrets: [ServiceFileReference]
    public var configs: [ServiceFileReference]
    /// `x-*` keys of the service.
    public var extensions: [String: Node]
}

/// `command`/`entrypoint`. A string (shell form) is split into words like
/// docker compose does (quotes honoured, no shell started); the original
/// text is kept in `shellText`.
public struct ComposeCommand: Hashable, Sendable {
    public var arguments: [String]
    public var isShellForm: Bool
    public var shellText: String?

    public init(arguments: [String], isShellForm: Bool = false, shellText: String? = nil) {
        self.arguments = arguments
        self.isShellForm = isShellForm
        self.shellText = shellText
    }
}

/// `build:` in long form: where and how to build the service image.
public struct BuildSpec: Hashable, Sendable {
    /// An absolute directory, or a remote context (git/http URL) as written.
    public var context: String
    /// Relative to `context` unless absolute; nil with `dockerfileInline`.
    public var dockerfile: String?
    public var dockerfileInline: String?
    public var args: [String: String?]
    public var target: String?
    public var labels: [String: String]
    public var network: String?
    public var pull: Bool
    public var noCache: Bool
    public var cacheFrom: [String]
    public var cacheTo: [String]
    public var tags: [String]
    public var platforms: [String]
    public var shmSize: Int64?
    public var extraHosts: [String: [String]]
    public var additionalContexts: [String: String]
    public var secrets: [ServiceFileReference]
}

/// One published or exposed container port (ranges are already expanded).
public struct PortMapping: Hashable, Sendable {
    public var target: Int
    /// A host port (`8080`) or range (`8000-8005`); nil: the engine picks.
    public var published: String?
    public var hostIP: String?
    /// `tcp`, `udp` or `sctp`.
    public var proto: String
    /// `ingress` (default) or `host`.
    public var mode: String
    public var name: String?
    public var appProtocol: String?
}

/// One mount of a service: bind, named/anonymous volume, tmpfs, image.
public struct ServiceVolume: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case bind, volume, tmpfs, image, npipe, cluster }
    public var kind: Kind
    /// Absolute host path for binds; volume name for named volumes; nil
    /// for anonymous volumes and tmpfs.
    public var source: String?
    public var target: String
    public var readOnly: Bool
    public var propagation: String?
    public var createHostPath: Bool
    public var selinux: String?
    public var nocopy: Bool
    public var subpath: String?
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?
}

/// How a service joins one network: aliases, fixed addresses, interface.
public struct ServiceNetworkAttachment: Hashable, Sendable {
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var interfaceName: String?
    public var macAddress: String?
    public var linkLocalIPs: [String]
    public var priority: Int?
}

/// One `depends_on` entry: wait for what, and whether it must exist.
public struct ServiceDependency: Hashable, Sendable {
    public enum Condition: String, Hashable, Sendable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var condition: Condition
    public var required: Bool
    /// Restart this service when the dependency is updated.
    public var restart: Bool
}

/// A service healthcheck; `disabled` also covers `test: [NONE]`.
public struct HealthcheckSpec: Hashable, Sendable {
    public var disabled: Bool
    /// `["CMD", …]`, `["CMD-SHELL", text]`, or empty (use the image's).
    public var test: [String]
    public var interval: ComposeDuration?
    public var timeout: ComposeDuration?
    public var retries: Int?
    public var startPeriod: ComposeDuration?
    public var startInterval: ComposeDuration?
}

/// `restart:` — when the runtime restarts an exited container.
public enum ComposeRestartPolicy: Hashable, Sendable {
    case no, always, unlessStopped
    case onFailure(maxRetries: Int?)

    init(_ text: String?) {
        switch text {
        case "always": self = .always
        case "unless-stopped": self = .unlessStopped
        case "on-failure": self = .onFailure(maxRetries: nil)
        case let t? where t.hasPrefix("on-failure:"): self = .onFailure(maxRetries: Int(t.dropFirst("on-failure:".count)))
        default: self = .no
        }
    }
}

/// One `ulimits` entry (a single number sets soft and hard alike).
public struct ServiceUlimit: Hashable, Sendable {
    public var soft: Int
    public var hard: Int
}

/// `logging:` — log driver and its options.
public struct LoggingSpec: Hashable, Sendable {
    public var driver: String?
    public var options: [String: String]
}

/// A secret or config granted to a service.
public struct ServiceFileReference: Hashable, Sendable {
    public var source: String
    public var target: String?
    public var uid: String?
    public var gid: String?
    public var mode: Int?
}

/// One `devices` entry: host device, path inside, cgroup permissions.
public struct ServiceDevice: Hashable, Sendable {
    public var source: String
    public var target: String
    public var permissions: String
}
