import YAML

/// A position in a compose tree by keys and indices, printed the way
/// diagnostics show it: `services.web.ports[1]`.
public struct NodePath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// `"services.web"` → two key components (no index syntax).
    public init(dotted: String) {
        components = dotted.split(separator: ".").map { .key(String($0)) }
    }

    public static let root = NodePath()

    public func appending(_ key: String) -> NodePath { NodePath(components + [.key(key)]) }
    public func appending(_ index: Int) -> NodePath { NodePath(components + [.index(index)]) }

    /// The key components only (indices dropped), for matching rule patterns.
    public var keys: [String] {
        components.compactMap { if case let .key(k) = $0 { return k } else { return nil } }
    }

    public var description: String {
        var text = ""
        for c in components {
            switch c {
            case let .key(k): text += text.isEmpty ? k : "." + k
            case let .index(i): text += "[\(i)]"
            }
        }
        return text
    }
}

/// A key-path pattern such as `services.*.ports`; `*` matches any one key.
/// Rules (merge strategies, path resolution) are ordered arrays of these.
public struct KeyPattern: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let parts: [String]

    public init(_ text: String) { parts = text.split(separator: ".").map(String.init) }
    public init(stringLiteral value: String) { self.init(value) }

    /// Whether the pattern matches exactly the key components of `path`.
    public func matches(_ path: NodePath) -> Bool {
        matches(keys: path.keys)
    }

    /// Whether the pattern matches exactly these key components.
    func matches(keys: [String]) -> Bool {
        guard keys.count == parts.count else { return false }
        return zip(parts, keys).allSatisfy { $0 == "*" || $0 == $1 }
    }

    public var description: String { parts.joined(separator: ".") }
}

extension Node {
    /// Equality of content: kinds, scalar text and tags, ignoring marks and
    /// scalar style (`"a"` and `a` are the same string).
    func sameContent(as other: Node) -> Bool {
        guard tag == other.tag else { return false }
        switch (kind, other.kind) {
        case let (.scalar(a, _), .scalar(b, _)):
            return a == b
        case let (.sequence(a), .sequence(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameContent(as: $1) }
        case let (.mapping(a), .mapping(b)):
            return a.count == b.count && zip(a, b).allSatisfy {
                $0.key.sameContent(as: $1.key) && $0.value.sameContent(as: $1.value)
            }
        default:
            return false
        }
    }

    /// A copy whose scalar text is `value`, keeping tag, style and mark.
    func withScalar(_ value: String) -> Node {
        var copy = self
        if case let .scalar(_, style) = kind { copy.kind = .scalar(value, style) }
        return copy
    }
}
