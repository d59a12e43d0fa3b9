import Diagnostics

/// Builds a `Node` tree from parser events: keeps the stack of open
/// collections, the anchor table, expands aliases within the limits and
/// resolves merge keys when a mapping closes. Problems that do not stop
/// parsing (duplicate keys, bad merges) are collected so that the user sees
/// all of them; limit violations stop at once.
struct Composer {
    enum CollectionKind { case sequence, mapping }

    /// An anchored node with what copying it costs: its node count
    /// (aliases inside counted expanded) and its collection height.
    private struct Anchored {
        var node: Node
        var size: Int
        var height: Int
    }

    private struct Frame {
        var kind: CollectionKind
        var tag: String?
        var anchor: String?
        var mark: Mark
        /// Items of a sequence.
        var items: [Node] = []
        /// Pairs of a mapping so far, without merge keys.
        var pairs: [Node.Pair] = []
        /// A mapping key waiting for its value; `skip` when it is a
        /// duplicate (its value is dropped).
        var pendingKey: Node?
        var skipPending = false
        var pendingIsMerge = false
        /// The keys of `pairs` by identity, once there are more than
        /// `Composer.scanLimit` (fewer are found by scanning `pairs`).
        var largeKeys: [KeyIdentity: Mark]?
        /// Merge keys' values and where in `pairs` they go.
        var merges: [(index: Int, value: Node)] = []
        var mergeKeyMark: Mark?
        var size = 1
        var childHeight = 0
    }

    /// How keys are compared for duplicates: scalar text byte for byte
    /// (not by Swift's canonical equivalence), collections structurally.
    private enum KeyIdentity: Hashable {
        case scalar(ExactText)
        case complex(Node)
    }

    /// The keys taken in a mapping whose merge keys are being resolved.
    /// Compose mappings are small, where a linear scan beats hashing;
    /// large ones switch to a dictionary.
    private struct KeyIndex {
        private var small: [(id: KeyIdentity, mark: Mark)] = []
        private var large: [KeyIdentity: Mark]?

        func mark(of id: KeyIdentity) -> Mark? {
            if let large { return large[id] }
            return small.first { $0.id == id }?.mark
        }

        /// Adds `id` unless present; true when it was added.
        @discardableResult
        mutating func insert(_ id: KeyIdentity, at mark: Mark) -> Bool {
            if large == nil {
                if small.contains(where: { $0.id == id }) { return false }
                small.append((id, mark))
                if small.count > 16 {
                    large = Dictionary(small.map { ($0.id, $0.mark) }, uniquingKeysWith: { first, _ in first })
                    small = []
                }
                return true
            }
            if large?[id] != nil { return false }
            large?[id] = mark
            return true
        }
    }

    private struct ExactText: Hashable {
        var text: String
        static func == (a: ExactText, b: ExactText) -> Bool {
            // Byte for byte (String's == treats canonically equivalent
            // texts as equal).
            a.text.utf8.count == b.text.utf8.count && Node.sameBytes(a.text, b.text)
        }
        func hash(into hasher: inout Hasher) {
            var copy = text
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    let file: String
    let limits: YAMLLimits
    private(set) var root: Node?
    /// Whether any node had an explicit tag (`!reset`, `!!str`…).
    private(set) var sawTag = false
    private(set) var diagnostics: [Diagnostic] = []
    private var anchors: [String: Anchored] = [:]
    private var openAnchors: [String: Int] = [:]
    private var stack: [Frame] = []
    private var expanded = 0

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func scalar(_ value: String, style: ScalarStyle, tag: String?, anchor: String?, at mark: Mark) throws {
        if tag != nil { sawTag = true }
        let node = Node(.scalar(value, style), tag: tag, mark: mark)
        if let anchor { anchors[anchor] = Anchored(node: node, size: 1, height: 0) }
        add(node, size: 1, height: 0)
    }

    mutating func alias(_ name: String, at mark: Mark) throws {
        guard let anchored = anchors[name], openAnchors[name, default: 0] == 0 else {
            if openAnchors[name, default: 0] > 0 {
                throw fatal(at: mark, "alias *\(name) refers to a node that contains it (recursive aliases are not supported)")
            }
            throw fatal(at: mark, "unknown anchor \"\(name)\" (an anchor must be defined with &\(name) before *\(name) uses it)")
        }
        expanded += anchored.size
        if expanded > limits.maxAliasExpansion {
            throw fatal(at: mark, "aliases expand to more than \(limits.maxAliasExpansion) nodes (alias expansion limit); the document may be a \"billion laughs\" attack")
        }
        if stack.count + anchored.height > limits.maxDepth {
            throw fatal(at: mark, "alias *\(name) nests deeper than the limit of \(limits.maxDepth) levels")
        }
        // The copy starts where the alias was written; its contents keep the
        // marks of the anchored definition.
        var node = anchored.node
        node.mark = mark
        add(node, size: anchored.size, height: anchored.height)
    }

    mutating func start(_ kind: CollectionKind, tag: String?, anchor: String?, at mark: Mark) throws {
        if stack.count + 1 > limits.maxDepth {
            throw fatal(at: mark, "nesting is deeper than the limit of \(limits.maxDepth) levels")
        }
        if let anchor { openAnchors[anchor, default: 0] += 1 }
        if tag != nil { sawTag = true }
        stack.append(Frame(kind: kind, tag: tag, anchor: anchor, mark: mark))
    }

    mutating func end() throws {
        guard var frame = stack.popLast() else { return }
        let node: Node
        switch frame.kind {
        case .sequence:
            node = Node(.sequence(frame.items), tag: frame.tag, mark: frame.mark)
        case .mapping:
            node = Node(.mapping(resolveMerges(&frame)), tag: frame.tag, mark: frame.mark)
        }
        let height = frame.childHeight + 1
        if let anchor = frame.anchor {
            openAnchors[anchor, default: 1] -= 1
            anchors[anchor] = Anchored(node: node, size: frame.size, height: height)
        }
        add(node, size: frame.size, height: height)
    }

    /// A fatal error, carrying the problems collected so far.
    func fatal(at mark: Mark, _ message: String) -> DiagnosticsError {
        DiagnosticsError(diagnostics + [Diagnostic(at: mark, message)])
    }

    /// The key path of the open collection `depth` frames deep (the
    /// frames above it lead there): `services.web.ports[1]`.
    private func keyPath(toDepth depth: Int) -> String {
        var path = ""
        for frame in stack.prefix(depth) {
            switch frame.kind {
            case .sequence:
                path += "[\(frame.items.count)]"
            case .mapping:
                guard let key = frame.pendingKey else { continue }
                let text = key.scalarValue ?? "?"
                path += path.isEmpty ? text : "." + text
            }
        }
        return path
    }

    private mutating func add(_ node: Node, size: Int, height: Int) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        let last = stack.count - 1
        stack[last].size += size
        if height > stack[last].childHeight { stack[last].childHeight = height }
        switch stack[last].kind {
        case .sequence:
            stack[last].items.append(node)
        case .mapping:
            if let key = stack[last].pendingKey {
                addValue(node, for: key, at: last)
            } else {
                addKey(node, at: last)
            }
        }
    }

    /// A key arrives: reject duplicates (including a second `<<`) now, so
    /// that the value is dropped.
    private mutating func addKey(_ key: Node, at index: Int) {
        stack[index].pendingKey = key
        stack[index].skipPending = false
        stack[index].pendingIsMerge = Self.isMergeKey(key)
        if stack[index].pendingIsMerge {
            if let previous = stack[index].mergeKeyMark {
                diagnostics.append(Diagnostic(at: key.mark, keyPath: keyPath(toDepth: index),
                                              "key \"<<\" already defined at \(previous)",
                                              hint: "merge several maps with <<: [*a, *b]"))
                stack[index].skipPending = true
            } else {
                stack[index].mergeKeyMark = key.mark
            }
            return
        }
        if let previous = existingMark(of: key, at: index) {
            diagnostics.append(Diagnostic(at: key.mark, keyPath: keyPath(toDepth: index),
                                          "key \(Self.describe(key)) already defined at \(previous.description)"))
            stack[index].skipPending = true
        }
    }

    private mutating func addValue(_ value: Node, for key: Node, at index: Int) {
        stack[index].pendingKey = nil
        if stack[index].skipPending { return }
        if stack[index].pendingIsMerge {
            stack[index].merges.append((stack[index].pairs.count, value))
        } else {
            stack[index].pairs.append(Node.Pair(key: key, value: value))
            if stack[index].largeKeys != nil {
                stack[index].largeKeys?[Self.identity(key)] = key.mark
            } else if stack[index].pairs.count > Self.scanLimit {
                var keys: [KeyIdentity: Mark] = [:]
                for pair in stack[index].pairs { keys[Self.identity(pair.key)] = pair.key.mark }
                stack[index].largeKeys = keys
            }
        }
    }

    /// Up to this many keys, a mapping's keys are checked for duplicates
    /// by scanning its pairs (compose mappings are small: no index to
    /// allocate); beyond it, through a dictionary.
    static let scanLimit = 16

    /// Where `key` was defined already in the mapping at `index`, if it was.
    private func existingMark(of key: Node, at index: Int) -> Mark? {
        if let large = stack[index].largeKeys { return large[Self.identity(key)] }
        if case let .scalar(text, _) = key.kind {
            let length = text.utf8.count
            for pair in stack[index].pairs {
                if case let .scalar(other, _) = pair.key.kind, other.utf8.count == length,
                   ExactText(text: other) == ExactText(text: text) {
                    return pair.key.mark
                }
            }
            return nil
        }
        let id = Self.identity(key)
        return stack[index].pairs.first { Self.identity($0.key) == id }?.key.mark
    }

    // MARK: Mappings, duplicate keys and merge keys

    private static func isMergeKey(_ key: Node) -> Bool {
        guard case .scalar("<<", .plain) = key.kind else { return false }
        return key.tag == nil || key.tag == "tag:yaml.org,2002:merge"
    }

    private static func identity(_ key: Node) -> KeyIdentity {
        if case let .scalar(value, _) = key.kind { return .scalar(ExactText(text: value)) }
        return .complex(key.strippingMarks())
    }

    private static func describe(_ key: Node) -> String {
        switch key.kind {
        case let .scalar(value, _): "\"\(value)\""
        case .sequence: "(a sequence)"
        case .mapping: "(a mapping)"
        }
    }

    /// The pairs of a closed mapping with its merge keys resolved in
    /// place: the merged pairs take the position of the `<<` key; keys
    /// written explicitly win over merged ones, and in a list of merged
    /// maps earlier maps win over later ones.
    private mutating func resolveMerges(_ frame: inout Frame) -> [Node.Pair] {
        guard !frame.merges.isEmpty else { return frame.pairs }
        let pairs = frame.pairs
        var result: [Node.Pair] = []
        result.reserveCapacity(pairs.count)
        // Moved out of the frame (not copied), so inserting does not copy it.
        var taken = KeyIndex()
        for pair in pairs { taken.insert(Self.identity(pair.key), at: pair.key.mark) }
        var next = 0
        for merge in frame.merges {
            result.append(contentsOf: pairs[next..<merge.index])
            next = merge.index
            for source in mergeSources(merge.value) {
                for pair in source where taken.insert(Self.identity(pair.key), at: pair.key.mark) {
                    result.append(pair)
                }
            }
        }
        result.append(contentsOf: pairs[next...])
        return result
    }

    /// The mappings a merge key's value names, reporting anything else.
    private mutating func mergeSources(_ value: Node) -> [[Node.Pair]] {
        switch value.kind {
        case let .mapping(pairs):
            return [pairs]
        case let .sequence(items):
            var sources: [[Node.Pair]] = []
            for item in items {
                if case let .mapping(pairs) = item.kind {
                    sources.append(pairs)
                } else {
                    diagnostics.append(Diagnostic(at: item.mark, keyPath: keyPath(toDepth: stack.count),
                        "cannot merge \(Self.kindName(item)) into a mapping; each item of a \"<<\" list must be a mapping"))
                }
            }
            return sources
        case .scalar:
            diagnostics.append(Diagnostic(at: value.mark, keyPath: keyPath(toDepth: stack.count),
                "cannot merge \(Self.kindName(value)) into a mapping; \"<<\" takes a mapping or a list of mappings"))
            return []
        }
    }

    private static func kindName(_ node: Node) -> String {
        switch node.kind {
        case .scalar where node.isNull: "null"
        case let .scalar(value, _): "the scalar \"\(value)\""
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }
}
