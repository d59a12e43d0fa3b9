// YAML owns turning bytes into a tree of Nodes that remember where they came
// from (file:line:column), and turning a tree back into text. It knows
// nothing about Compose: no key names, no schema. It never touches the
// runtime or the network.
import Diagnostics

/// How a scalar was written. Compose cares: `"80:80"` and `80:80` differ.
public enum ScalarStyle: String, Hashable, Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One YAML node with its source position. Mappings keep key order.
public struct Node: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public struct Pair: Hashable, Sendable {
        public var key: Node
        public var value: Node
        @inlinable public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    /// The fields of a node, shared by its copies: a node is one
    /// reference, so copying a node, a tree or an array of nodes is one
    /// retain per node instead of a copy of every field (the loader's
    /// phases copy trees all the time). Never mutated: a setter gives the
    /// node a new storage, so nodes keep value semantics.
    /// The accessors are inlinable: other modules then read the fields in
    /// place instead of calling a getter that returns a retained copy for
    /// them to release (most of the loader's time is spent reading nodes).
    @usableFromInline final class Storage: Sendable {
        @usableFromInline let kind: Kind
        @usableFromInline let tag: String?
        @usableFromInline let mark: Mark

        @usableFromInline init(_ kind: Kind, tag: String?, mark: Mark) {
            self.kind = kind
            self.tag = tag
            self.mark = mark
        }
    }

    @usableFromInline var storage: Storage

    @inlinable public var kind: Kind {
        get { storage.kind }
        set { storage = Storage(newValue, tag: storage.tag, mark: storage.mark) }
    }

    /// An explicit tag as written (`!reset`, `!override`, `!!str`, expanded
    /// to `tag:yaml.org,2002:str`), or nil when none was written.
    @inlinable public var tag: String? {
        get { storage.tag }
        set { storage = Storage(storage.kind, tag: newValue, mark: storage.mark) }
    }

    @inlinable public var mark: Mark {
        get { storage.mark }
        set { storage = Storage(storage.kind, tag: storage.tag, mark: newValue) }
    }

    @inlinable public init(_ kind: Kind, tag: String? = nil, mark: Mark) {
        storage = Storage(kind, tag: tag, mark: mark)
    }

    /// Equal kinds (recursively), tags and marks.
    public static func == (lhs: Node, rhs: Node) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.storage.kind == rhs.storage.kind && lhs.storage.tag == rhs.storage.tag
                && lhs.storage.mark == rhs.storage.mark)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.kind)
        hasher.combine(storage.tag)
        hasher.combine(storage.mark)
    }

    // MARK: Builders (used by tests and by loaders that synthesize values)

    public static func scalar(_ value: String, style: ScalarStyle = .plain,
                              tag: String? = nil, mark: Mark = .generated) -> Node {
        Node(.scalar(value, style), tag: tag, mark: mark)
    }

    public static func sequence(_ items: [Node], tag: String? = nil,
                                mark: Mark = .generated) -> Node {
        Node(.sequence(items), tag: tag, mark: mark)
    }

    public static func mapping(_ pairs: [Pair], tag: String? = nil,
                               mark: Mark = .generated) -> Node {
        Node(.mapping(pairs), tag: tag, mark: mark)
    }

    /// A mapping with plain string keys, in the given order.
    public static func mapping(_ entries: KeyValuePairs<String, Node>,
                               mark: Mark = .generated) -> Node {
        Node(.mapping(entries.map { Pair(key: .scalar($0.key, mark: $0.value.mark), value: $0.value) }),
             mark: mark)
    }

    // MARK: Accessors

    /// The text of a scalar, or nil for collections.
    @inlinable public var scalarValue: String? {
        if case let .scalar(v, _) = kind { return v }
        return nil
    }

    @inlinable public var scalarStyle: ScalarStyle? {
        if case let .scalar(_, s) = kind { return s }
        return nil
    }

    @inlinable public var sequenceItems: [Node]? {
        if case let .sequence(items) = kind { return items }
        return nil
    }

    @inlinable public var mappingPairs: [Pair]? {
        if case let .mapping(pairs) = kind { return pairs }
        return nil
    }

    @inlinable public var isScalar: Bool {
        if case .scalar = kind { return true }
        return false
    }

    @inlinable public var isSequence: Bool {
        if case .sequence = kind { return true }
        return false
    }

    @inlinable public var isMapping: Bool {
        if case .mapping = kind { return true }
        return false
    }

    /// A plain, untagged `null`, `Null`, `NULL`, `~` or empty scalar
    /// (YAML 1.2 core schema), or an explicit `!!null`.
    @inlinable public var isNull: Bool {
        guard case let .scalar(v, style) = kind else { return false }
        if tag == "tag:yaml.org,2002:null" { return true }
        guard style == .plain, tag == nil else { return false }
        // Lengths first: comparing two different strings is a call into
        // the standard library, and most scalars are neither 1 nor 4
        // bytes long (no text of another length is canonically equivalent
        // to these ASCII ones).
        let length = v.utf8.count
        if length == 0 { return true }
        if length == 1 { return v == "~" }
        return length == 4 && (v == "null" || v == "Null" || v == "NULL")
    }

    /// The value for a plain-string key of a mapping (last one wins).
    @inlinable public subscript(key: String) -> Node? {
        // A plain loop over the pairs: the loaders look keys up millions of
        // times, and this avoids copying each key's text into an Optional.
        // Keys are compared byte for byte, as compose-go does (no Unicode
        // canonical equivalence), lengths first: reading a native string's
        // UTF-8 count is a load, where comparing two different strings is a
        // call into the standard library, and most keys differ from the
        // wanted one in length.
        guard case let .mapping(pairs) = kind else { return nil }
        let length = key.utf8.count
        var i = pairs.endIndex
        while i > pairs.startIndex {
            i -= 1
            if case let .scalar(text, _) = pairs[i].key.kind, text.utf8.count == length, Node.sameBytes(text, key) {
                return pairs[i].value
            }
        }
        return nil
    }

    /// Whether two strings have the same UTF-8 bytes: compared as two
    /// buffers (native and small strings have contiguous UTF-8), which is
    /// much less work than stepping through both `utf8` views.
    @inlinable static func sameBytes(_ a: String, _ b: String) -> Bool {
        let compared = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in pa.elementsEqual(pb) }
        }
        guard let compared, let compared else { return a.utf8.elementsEqual(b.utf8) }
        return compared
    }

    /// The keys of a mapping as strings, in order (non-scalar keys skipped).
    public var mappingKeys: [String] {
        (mappingPairs ?? []).compactMap { $0.key.scalarValue }
    }

    /// Returns a copy of a mapping with `key` set to `value` (replacing in
    /// place when present, appended otherwise). Non-mappings are unchanged.
    public func setting(_ key: String, to value: Node) -> Node {
        guard var pairs = mappingPairs else { return self }
        if let i = pairs.lastIndex(where: { $0.key.scalarValue == key }) {
            pairs[i].value = value
        } else {
            pairs.append(Pair(key: .scalar(key, mark: value.mark), value: value))
        }
        var copy = self
        copy.kind = .mapping(pairs)
        return copy
    }

    /// Returns a copy of a mapping without `key`.
    public func removing(_ key: String) -> Node {
        guard let pairs = mappingPairs else { return self }
        var copy = self
        copy.kind = .mapping(pairs.filter { $0.key.scalarValue != key })
        return copy
    }
}
