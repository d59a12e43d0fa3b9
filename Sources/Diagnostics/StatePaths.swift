#if canImport(Glibc)
import Glibc
#endif

/// Where berth keeps state. Libraries receive this value explicitly; only
/// the CLI reads flags and the environment to build it.
public struct StatePaths: Hashable, Sendable {
    /// Persistent state: content store, snapshots, containers, volumes,
    /// networks, build cache. Default `/var/lib/berth`.
    public var root: String
    /// Runtime state: sockets, pids, locks. Default `/run/berth`.
    public var run: String

    public init(root: String, run: String) {
        self.root = root
        self.run = run
    }

    /// Where berth pins a container's network namespace (`berth run` on a
    /// network, compose services): a bind mount of its nsfs file.
    public func pinnedNetworkNamespace(_ containerID: String) -> String { "\(pinnedNetworkNamespaces)/\(containerID)" }
    public var pinnedNetworkNamespaces: String { "\(run)/netns" }

    public static let defaultRoot = "/var/lib/berth"
    public static let defaultRun = "/run/berth"

    /// `--root` wins over `BERTH_ROOT`, which wins over the default;
    /// `BERTH_RUN` likewise for the runtime directory.
    public static func resolve(root flag: String?, environment: [String: String]) -> StatePaths {
        let root = flag ?? environment["BERTH_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultRoot
        let run = environment["BERTH_RUN"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultRun
        return StatePaths(root: root, run: run)
    }
}
