#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An image configuration (OCI `application/vnd.oci.image.config.v1+json`,
/// the same document as Docker's `application/vnd.docker.container.image.v1+json`).
public struct ImageConfig: Hashable, Sendable, Codable {
    /// RFC 3339 creation time, kept as written.
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    public init(created: String? = nil, architecture: String = Platform.current.architecture, os: String = "linux",
                config: ContainerConfig? = nil, rootfs: RootFS, history: [History]? = nil) {
        self.created = created
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    /// Decodes and checks a config document.
    public static func decode(_ bytes: [UInt8]) throws(OCIError) -> ImageConfig {
        let c: ImageConfig = try decodeDocument(bytes, "image config")
        try c.check()
        return c
    }

    /// The checks `decode` makes, for a config decoded by other means.
    public func check() throws(OCIError) {
        guard rootfs.type == "layers" else {
            throw .invalidDocument("image config", "rootfs.type is \"\(rootfs.type)\", expected \"layers\"")
        }
    }

    public func encoded() -> [UInt8] { encodeDocument(self) }

    /// The runtime defaults, empty when the image has none.
    public var runtime: ContainerConfig { config ?? ContainerConfig() }
}

/// `rootfs`: the uncompressed digests of the layers, lowest first.
public struct RootFS: Hashable, Sendable, Codable {
    public var type: String
    public var diffIDs: [Digest]

    enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(diffIDs: [Digest]) {
        self.type = "layers"
        self.diffIDs = diffIDs
    }
}

/// One `history` entry (one per Dockerfile step).
public struct History: Hashable, Sendable, Codable {
    public var created: String?
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
        case created, author, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }

    public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
        self.created = created
        self.createdBy = createdBy
        self.comment = comment
        self.emptyLayer = emptyLayer
    }
}

/// The value of set-like maps (`ExposedPorts`, `Volumes`): always `{}`.
public struct EmptyJSONObject: Hashable, Sendable, Codable {
    public init() {}
}

/// The runtime defaults of an image (`config` in the image config), with
/// the fields Docker uses.
public struct ContainerConfig: Hashable, Sendable, Codable {
    public var user: String?
    /// `"80/tcp": {}`.
    public var exposedPorts: [String: EmptyJSONObject]?
    /// `KEY=value` strings.
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: EmptyJSONObject]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var healthcheck: Healthcheck?
    public var argsEscaped: Bool?
    public var onBuild: [String]?
    public var shell: [String]?
    /// Docker's `StopTimeout` (seconds), set by `docker commit`.
    public var stopTimeout: Int?

    enum CodingKeys: String, CodingKey {
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case volumes = "Volumes"
        case workingDir = "WorkingDir"
        case labels = "Labels"
        case stopSignal = "StopSignal"
        case healthcheck = "Healthcheck"
        case argsEscaped = "ArgsEscaped"
        case onBuild = "OnBuild"
        case shell = "Shell"
        case stopTimeout = "StopTimeout"
    }

    public init(user: String? = nil, exposedPorts: [String: EmptyJSONObject]? = nil, env: [String]? = nil,
                entrypoint: [String]? = nil, cmd: [String]? = nil, volumes: [String: EmptyJSONObject]? = nil,
                workingDir: String? = nil, labels: [String: String]? = nil, stopSignal: String? = nil,
                healthcheck: Healthcheck? = nil) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.volumes = volumes
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
    }
}

/// Docker's image healthcheck. Durations are nanoseconds, as Docker stores them.
public struct Healthcheck: Hashable, Sendable, Codable {
    /// `[]` inherit, `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", command]`.
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    public var startInterval: Int64?
    public var retries: Int?

    enum CodingKeys: String, CodingKey {
        case test = "Test"
        case interval = "Interval"
        case timeout = "Timeout"
        case startPeriod = "StartPeriod"
        case startInterval = "StartInterval"
        case retries = "Retries"
    }

    public init(test: [String]?, interval: Int64? = nil, timeout: Int64? = nil, startPeriod: Int64? = nil,
                startInterval: Int64? = nil, retries: Int? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }
}
