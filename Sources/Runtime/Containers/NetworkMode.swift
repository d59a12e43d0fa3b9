import Diagnostics

/// A container's `HostSpec.networkMode`, as stored in its record:
/// - `none` (or empty): a new network namespace with only `lo`, up;
/// - `host`: the host's namespace;
/// - `ns:<path>`: join a pinned namespace file (compose services, wired by
///   berth before the start);
/// - `container:<id>`: share another container's namespace, resolved at
///   every start (Docker's `--network container:NAME`).
public enum NetworkMode: Hashable, Sendable {
    case none
    case host
    case join(path: String)
    case container(id: String)

    public init(_ text: String) {
        if text == "host" {
            self = .host
        } else if text.hasPrefix("ns:") {
            self = .join(path: String(text.dropFirst(3)))
        } else if text.hasPrefix("container:") {
            self = .container(id: String(text.dropFirst(10)))
        } else {
            self = .none
        }
    }

    /// The stored text.
    public var text: String {
        switch self {
        case .none: "none"
        case .host: "host"
        case .join(let path): "ns:" + path
        case .container(let id): "container:" + id
        }
    }
}

/// Why a container cannot share another container's network namespace.
public struct NetworkModeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ContainerStore {
    /// The network mode that joins `target`'s namespace right now: its
    /// pinned namespace file, the host's, or — for a container with a
    /// namespace of its own — the namespace of its running process.
    /// `container:` chains are followed (at most 8 links).
    public func sharedNetworkMode(of target: ContainerRecord) throws -> NetworkMode {
        var current = target
        for _ in 0..<8 {
            switch NetworkMode(current.host.networkMode) {
            case .host:
                return .host
            case .join(let path):
                return .join(path: path)
            case .container(let id):
                guard let next = try? record(id: id) else {
                    throw NetworkModeError("cannot join network of container \(current.name): the container it shares (\(id.prefix(12))) no longer exists")
                }
                current = next
            case .none:
                let state = try? state(id: current.id)
                guard let state, state.pid > 0, ProcessIdentity.isAlive(pid: state.pid, startTime: state.pidStart) else {
                    throw NetworkModeError("cannot join network of a non running container: \(current.name)")
                }
                return .join(path: "/proc/\(state.pid)/ns/net")
            }
        }
        throw NetworkModeError("cannot join network of container \(target.name): too many container: links")
    }
}

extension ContainerRecord {
    /// The namespace file berth pinned for this container under `paths`
    /// (it joins a file in `<run>/netns/`), or nil when it has none of berth's.
    public func pinnedNetworkNamespace(under paths: StatePaths) -> String? {
        guard case .join(let path) = NetworkMode(host.networkMode),
              path.hasPrefix(paths.pinnedNetworkNamespaces + "/") else { return nil }
        return path
    }
}
