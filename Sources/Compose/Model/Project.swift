import Diagnostics
import YAML

/// A normalized compose project as plain values: what the engine plans
/// from. Built by `init(normalized:)` from the tree `Normalizer` produced
/// (after `Validator` and `Profiles`).
public struct Project: Hashable, Sendable {
    public var name: String
    /// Sorted by name.
    public var services: [ComposeService]
    public var networks: [String: NetworkDefinition]
    public var volumes: [String: VolumeDefinition]
    public var secrets: [String: SecretDefinition]
    public var configs: [String: ConfigDefinition]
    /// Top-level `x-*` keys.
    public var extensions: [String: Node]
    /// The compose files it was loaded from (absolute), set by `ComposeLoader`;
    /// berth records them on containers (`…project.config_files`) for `ls`.
    public var configFiles: [String] = []
    /// The project directory (absolute), set by `ComposeLoader`.
    public var workingDirectory: String = ""

    public func service(named name: String) -> ComposeService? { services.first { $0.name == name } }

    /// Reads a normalized tree. Throws when the tree is not a mapping, has
    /// no project `name`, or holds a value of the wrong kind (which
    /// validation reports first in a normal load).
    public init(normalized root: Node) throws {
        let name = try Self.name(of: root)
        var reader = ModelReader()
        self.name = name
        let pairs = root["services"]?.mappingPairs ?? []
        let read: [ComposeService]
        if pairs.count >= 32 {
            // A large project's services are read in two halves at once;
            // the second reader's diagnostics follow the first's, as in one pass.
            let tail = pairs[(pairs.count / 2)...]
            let (head, (tailServices, tailProblems)) = Concurrently.run({
                Self.readServices(pairs[..<(pairs.count / 2)], with: &reader)
            }, beside: {
                var second = ModelReader()
                return (Self.readServices(tail, with: &second), second.diagnostics)
            })
            reader.diagnostics += tailProblems
            read = head + tailServices
        } else {
            read = Self.readServices(pairs[...], with: &reader)
        }
        // Sorted through their indices: the services are large values, and
        // moving an index is cheaper than moving a service.
        self.services = read.indices.sorted { read[$0].name < read[$1].name }.map { read[$0] }
        func section<T>(_ key: String, _ read: (Node) -> T) -> [String: T] {
            var out: [String: T] = [:]
            for pair in root[key]?.mappingPairs ?? [] {
                guard let k = pair.key.scalarValue else { continue }
                out[k] = read(pair.value)
            }
            return out
        }
        self.networks = section("networks") { reader.network($0) }
        self.volumes = section("volumes") { reader.volume($0) }
        self.secrets = section("secrets") { reader.secret($0) }
        self.configs = section("configs") { reader.config($0) }
        self.extensions = root.extensions
        if !reader.diagnostics.isEmpty { throw DiagnosticsError(reader.diagnostics) }
    }

    /// Throws what `init(normalized:)` throws for `root`, without reading
    /// the model: for callers that need only to know the tree is a valid
    /// project (`config`), at a fraction of the cost.
    public static func check(normalized root: Node) throws {
        _ = try name(of: root)
        var reader = ModelReader()
        for pair in root["services"]?.mappingPairs ?? [] {
            guard let serviceName = pair.key.scalarValue else { continue }
            reader.checkService(serviceName, pair.value)
        }
        if !reader.diagnostics.isEmpty { throw DiagnosticsError(reader.diagnostics) }
    }

    /// The project name of a normalized tree; throws when the tree is not
    /// a mapping or has none.
    private static func name(of root: Node) throws -> String {
        guard root.isMapping else {
            throw DiagnosticsError(Diagnostic(at: root.mark, "a compose project must be a mapping"))
        }
        guard let name = root.string("name"), !name.isEmpty else {
            throw DiagnosticsError(Diagnostic(at: root.mark, keyPath: "name", "the project has no name"))
        }
        return name
    }

    /// The services of `pairs` (entries with a scalar key), in order.
    private static func readServices(_ pairs: ArraySlice<Node.Pair>, with reader: inout ModelReader) -> [ComposeService] {
        pairs.compactMap { pair in
            guard let serviceName = pair.key.scalarValue else { return nil }
            return reader.service(serviceName, pair.value, keyMark: pair.key.mark)
        }
    }
}

/// A top-level `networks` entry.
public struct NetworkDefinition: Hashable, Sendable {
    /// Set when the file names it (or when external: its key); otherwise the
    /// engine names it `<project>_<key>`.
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var `internal`: Bool
    public var enableIPv4: Bool?
    public var enableIPv6: Bool?
    public var attachable: Bool
    public var labels: [String: String]
    public var ipam: IPAMSpec?
}

/// `ipam:` of a network: address pools for the engine’s allocator.
public struct IPAMSpec: Hashable, Sendable {
    public struct Pool: Hashable, Sendable {
        public var subnet: String?
        public var ipRange: String?
        public var gateway: String?
        public var auxAddresses: [String: String]
    }
    public var driver: String?
    public var config: [Pool]
    public var options: [String: String]
}

/// A top-level `volumes` entry.
public struct VolumeDefinition: Hashable, Sendable {
    public var name: String?
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var labels: [String: String]
}

/// A top-level `secrets` entry (one of file, environment, external).
public struct SecretDefinition: Hashable, Sendable {
    public var name: String?
    public var file: String?
    public var environment: String?
    public var external: Bool
    public var labels: [String: String]
}

/// A top-level `configs` entry (one of file, environment, content, external).
public struct ConfigDefinition: Hashable, Sendable {
    public var name: String?
    public var file: String?
    public var environment: String?
    public var content: String?
    public var external: Bool
    public var labels: [String: String]
}
