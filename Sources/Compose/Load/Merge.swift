import Diagnostics
import YAML

/// How two values at the same key path combine when a later compose file
/// (or a service extending another) redefines them.
public enum MergeStrategy: Hashable, Sendable {
    /// Mappings merged key by key, sequences appended, scalars replaced.
    case deep
    /// The later value replaces the earlier one (`command`, `entrypoint`, …).
    case replace
    /// A list of `KEY=VALUE` strings or a mapping (`environment`, `labels`,
    /// `build.args`…): merged by key, later values winning. Two lists stay a
    /// list; otherwise the result is a mapping.
    case keyed(separators: [Character])
    /// A sequence whose items are identified by a key (`ports`, `volumes`…):
    /// an item whose key is already present replaces it in place, others are appended.
    case unique(UniqueKey)
    /// A list of names or a mapping of name → options (`networks`,
    /// `depends_on`): two lists are merged uniquely, otherwise both become
    /// mappings (a listed name gets `listedValue`) and are merged deeply.
    case named(listedValue: ListedValue)
    /// `build`: a string is `{context: string}`; then merged deeply.
    case build
    /// `logging`: a different `driver` replaces the whole mapping.
    case logging
    /// A string or a list, appended (`env_file`, `label_file`, `include`).
    case append

    /// What identifies an item of a `unique` sequence.
    public enum UniqueKey: Hashable, Sendable {
        case port, volumeTarget, secretOrConfig, deviceTarget, subnet, value
    }

    /// The value a name listed in a sequence gets when turned into a mapping.
    public enum ListedValue: Hashable, Sendable {
        case null, serviceStarted
    }
}

/// Merges compose trees per compose-spec 13-merge.md. The rules are an
/// ordered table of key-path patterns; the first match decides, `deep`
/// otherwise. `!reset` on a later value removes the key; `!override`
/// replaces instead of merging. A merged value keeps the mark of the file
/// that supplied it.
public enum Merger {
    /// The tag that removes a key (or an entry) set by an earlier file.
    public static let resetTag = "!reset"
    /// The tag that replaces an earlier value instead of merging with it.
    public static let overrideTag = "!override"

    /// Key-path patterns → strategy; the first match wins, `deep` otherwise.
    public static let rules: [(pattern: KeyPattern, strategy: MergeStrategy)] = [
        ("services.*.command", .replace),
        ("services.*.entrypoint", .replace),
        ("services.*.healthcheck.test", .replace),
        ("services.*.extends", .replace),
        ("services.*.build", .build),
        ("services.*.build.args", .keyed(separators: ["="])),
        ("services.*.build.labels", .keyed(separators: ["="])),
        ("services.*.build.additional_contexts", .keyed(separators: ["="])),
        ("services.*.build.extra_hosts", .keyed(separators: ["=", ":"])),
        ("services.*.environment", .keyed(separators: ["="])),
        ("services.*.labels", .keyed(separators: ["="])),
        ("services.*.annotations", .keyed(separators: ["="])),
        ("services.*.sysctls", .keyed(separators: ["="])),
        ("services.*.extra_hosts", .keyed(separators: ["=", ":"])),
        ("services.*.deploy.labels", .keyed(separators: ["="])),
        ("services.*.ports", .unique(.port)),
        ("services.*.volumes", .unique(.volumeTarget)),
        ("services.*.secrets", .unique(.secretOrConfig)),
        ("services.*.configs", .unique(.secretOrConfig)),
        ("services.*.devices", .unique(.deviceTarget)),
        ("services.*.expose", .unique(.value)),
        ("services.*.dns", .unique(.value)),
        ("services.*.dns_search", .unique(.value)),
        ("services.*.dns_opt", .unique(.value)),
        ("services.*.tmpfs", .unique(.value)),
        ("services.*.cap_add", .unique(.value)),
        ("services.*.cap_drop", .unique(.value)),
        ("services.*.security_opt", .unique(.value)),
        ("services.*.profiles", .unique(.value)),
        ("services.*.links", .unique(.value)),
        ("services.*.external_links", .unique(.value)),
        ("services.*.volumes_from", .unique(.value)),
        ("services.*.group_add", .unique(.value)),
        ("services.*.device_cgroup_rules", .unique(.value)),
        ("services.*.networks", .named(listedValue: .null)),
        ("services.*.depends_on", .named(listedValue: .serviceStarted)),
        ("services.*.logging", .logging),
        ("services.*.env_file", .append),
        ("services.*.label_file", .append),
        ("networks.*.labels", .keyed(separators: ["="])),
        ("volumes.*.labels", .keyed(separators: ["="])),
        ("secrets.*.labels", .keyed(separators: ["="])),
        ("configs.*.labels", .keyed(separators: ["="])),
        ("networks.*.ipam.config", .unique(.subnet)),
        ("include", .append),
    ]

    /// The strategy for values at `path` (by its key components).
    public static func strategy(for path: NodePath) -> MergeStrategy {
        let keys = path.keys
        return rules.first(where: { $0.pattern.matches(keys: keys) })?.strategy ?? .deep
    }

    /// Merges several documents in order (the first is the base).
    /// `tagged: false` promises that no node of `documents` has a tag
    /// (`YAMLLoader.loadNotingTags`): the first document's values are then
    /// taken as they are, without a walk over them looking for `!reset`
    /// and `!override` to strip.
    public static func merge(documents: [Node], tagged: Bool = true) -> Node {
        var result = Node.mapping([Node.Pair]())
        if let first = documents.first { result.mark = first.mark }
        for doc in documents {
            if !tagged, result.mappingPairs?.isEmpty == true, doc.isMapping {
                // What `deep` does onto an empty mapping, less `stripTags`
                // (which returns untagged values unchanged).
                result = deep(result, doc, path: .root, stripping: false)
            } else {
                result = merge(result, doc, path: .root)
            }
        }
        return result
    }

    /// `override` merged onto `base` at `path`.
    public static func merge(_ base: Node, _ override: Node, path: NodePath = .root) -> Node {
        if override.tag == overrideTag { return stripTags(override) }
        if override.tag == resetTag { return stripTags(override) }
        switch strategy(for: path) {
        case .replace:
            return stripTags(override)
        case .deep:
            return deep(base, override, path: path)
        case let .keyed(separators):
            return keyed(base, override, separators: separators)
        case let .unique(key):
            return unique(base, override, key: key)
        case let .named(listedValue):
            return named(base, override, listedValue: listedValue, path: path)
        case .build:
            return deep(buildMapping(base), buildMapping(override), path: path)
        case .logging:
            if let a = base["driver"]?.scalarValue, let b = override["driver"]?.scalarValue, a != b {
                return stripTags(override)
            }
            return deep(base, override, path: path)
        case .append:
            let a = asSequence(base), b = asSequence(stripTags(override))
            var result = b
            result.kind = .sequence((a.sequenceItems ?? []) + (b.sequenceItems ?? []))
            return result
        }
    }

    // MARK: Strategies

    static func deep(_ base: Node, _ override: Node, path: NodePath, stripping: Bool = true) -> Node {
        switch (base.kind, override.kind) {
        case let (.mapping(a), .mapping(b)):
            var pairs = a
            for pair in b {
                guard let key = pair.key.scalarValue else { continue }
                let existing = pairs.firstIndex(where: { $0.key.scalarValue == key })
                if pair.value.tag == resetTag {
                    if let existing { pairs.remove(at: existing) }
                    continue
                }
                if let existing {
                    pairs[existing].value = merge(pairs[existing].value, pair.value, path: path.appending(key))
                } else {
                    pairs.append(Node.Pair(key: pair.key, value: stripping ? stripTags(pair.value) : pair.value))
                }
            }
            var result = base
            result.kind = .mapping(pairs)
            return result
        case let (.sequence(a), .sequence(b)):
            var result = base
            result.kind = .sequence(a + b.filter { $0.tag != resetTag }.map { stripTags($0) })
            return result
        default:
            return stripTags(override)
        }
    }

    static func keyed(_ base: Node, _ override: Node, separators: [Character]) -> Node {
        let b = stripTags(override)
        if let a = base.sequenceItems, let items = b.sequenceItems {
            var result = a
            for item in items {
                let key = entryKey(item, separators: separators)
                if let key, let i = result.firstIndex(where: { entryKey($0, separators: separators) == key }) {
                    result[i] = item
                } else {
                    result.append(item)
                }
            }
            var node = base
            node.kind = .sequence(result)
            return node
        }
        var pairs = keyedPairs(base, separators: separators)
        for pair in keyedPairs(override, separators: separators) {
            if pair.value.tag == resetTag {
                pairs.removeAll { $0.key.scalarValue == pair.key.scalarValue }
                continue
            }
            let pair = Node.Pair(key: pair.key, value: stripTags(pair.value))
            if let i = pairs.firstIndex(where: { $0.key.scalarValue == pair.key.scalarValue }) {
                pairs[i].value = pair.value
            } else {
                pairs.append(pair)
            }
        }
        var node = base.isMapping ? base : b
        node.kind = .mapping(pairs)
        node.tag = nil
        return node
    }

    /// The key of one `KEY=VALUE` list entry.
    static func entryKey(_ item: Node, separators: [Character]) -> String? {
        guard let text = item.scalarValue else { return nil }
        for sep in separators {
            if let i = text.firstIndex(of: sep) { return String(text[..<i]) }
        }
        return text
    }

    /// A list-or-mapping as mapping pairs; `KEY` alone maps to null.
    static func keyedPairs(_ node: Node, separators: [Character]) -> [Node.Pair] {
        if let pairs = node.mappingPairs { return pairs }
        guard let items = node.sequenceItems else { return [] }
        return items.compactMap { item in
            guard let text = item.scalarValue else { return nil }
            for sep in separators {
                if let i = text.firstIndex(of: sep) {
                    let value = String(text[text.index(after: i)...])
                    return Node.Pair(key: .scalar(String(text[..<i]), mark: item.mark),
                                     value: .scalar(value, style: .doubleQuoted, mark: item.mark))
                }
            }
            return Node.Pair(key: .scalar(text, mark: item.mark), value: .scalar("null", mark: item.mark))
        }
    }

    static func unique(_ base: Node, _ override: Node, key: MergeStrategy.UniqueKey) -> Node {
        let a = asSequence(base), b = asSequence(stripTags(override))
        guard let left = a.sequenceItems, let right = b.sequenceItems else { return b }
        var result = left
        for item in right where item.tag != resetTag {
            if let k = uniqueKey(item, key), let i = result.firstIndex(where: { uniqueKey($0, key) == k }) {
                result[i] = item
            } else {
                result.append(item)
            }
        }
        var node = a
        node.kind = .sequence(result)
        return node
    }

    static func named(_ base: Node, _ override: Node, listedValue: MergeStrategy.ListedValue, path: NodePath) -> Node {
        let b = stripTags(override)
        if base.isSequence, b.isSequence { return unique(base, b, key: .value) }
        func mapped(_ node: Node) -> Node {
            guard let items = node.sequenceItems else { return node }
            var copy = node
            copy.kind = .mapping(items.compactMap { item in
                guard item.isScalar else { return nil }
                let value: Node
                switch listedValue {
                case .null: value = .scalar("null", mark: item.mark)
                case .serviceStarted:
                    value = .mapping(["condition": .scalar("service_started", mark: item.mark)], mark: item.mark)
                }
                return Node.Pair(key: item, value: value)
            })
            return copy
        }
        return deep(mapped(base), mapped(b), path: path)
    }

    static func buildMapping(_ node: Node) -> Node {
        guard node.isScalar, !node.isNull else { return node }
        return .mapping(["context": node], mark: node.mark)
    }

    static func asSequence(_ node: Node) -> Node {
        if node.isSequence { return node }
        if node.isMapping { return node }
        if node.isNull { return .sequence([], mark: node.mark) }
        return .sequence([node], mark: node.mark)
    }

    // MARK: Unique keys

    static func uniqueKey(_ item: Node, _ key: MergeStrategy.UniqueKey) -> String? {
        switch key {
        case .value:
            return item.scalarValue
        case .volumeTarget:
            if let text = item.scalarValue {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                return String(parts.count > 1 ? parts[1] : parts[0])
            }
            return item["target"]?.scalarValue
        case .deviceTarget:
            if let text = item.scalarValue {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                return String(parts.count > 1 ? parts[1] : parts[0])
            }
            return item["target"]?.scalarValue
        case .secretOrConfig:
            if let text = item.scalarValue { return text }
            return item["target"]?.scalarValue ?? item["source"]?.scalarValue
        case .subnet:
            return item["subnet"]?.scalarValue
        case .port:
            if let text = item.scalarValue { return portKey(text) }
            guard item.isMapping else { return nil }
            let ip = item["host_ip"]?.scalarValue ?? ""
            let published = item["published"]?.scalarValue ?? ""
            let target = item["target"]?.scalarValue ?? ""
            let proto = item["protocol"]?.scalarValue ?? "tcp"
            return "\(ip)|\(published)|\(target)|\(proto)"
        }
    }

    /// `[ip:][published:]target[/protocol]` → `ip|published|target|protocol`.
    static func portKey(_ text: String) -> String {
        var body = Substring(text)
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
        }
        var ip = ""
        if body.hasPrefix("["), let close = body.firstIndex(of: "]") {
            ip = String(body[body.index(after: body.startIndex)..<close])
            body = body[body.index(after: close)...].drop(while: { $0 == ":" })
        }
        var parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 3 {
            // Unbracketed IPv6 host address: the last two parts are ports.
            let tail = Array(parts.suffix(2))
            ip = parts.dropLast(2).joined(separator: ":")
            parts = tail
        } else if parts.count == 3 {
            ip = parts.removeFirst()
        }
        let target = parts.last ?? ""
        let published = parts.count == 2 ? parts[0] : ""
        return "\(ip)|\(published)|\(target)|\(proto)"
    }

    // MARK: Tags

    /// Removes `!reset` entries and `!override` tags from a value that has
    /// nothing to merge with (also used once on a single file).
    public static func stripTags(_ node: Node) -> Node {
        strippedTags(node) ?? node
    }

    /// `stripTags`, or nil when the tree holds no such tag (so untagged
    /// trees, the usual case, are shared instead of copied).
    static func strippedTags(_ node: Node) -> Node? {
        // Nothing is copied until something changes: this walks every node
        // of a file that is loaded alone.
        let tagged = node.tag == overrideTag || node.tag == resetTag
        var kind: Node.Kind? = nil
        switch node.kind {
        case .scalar:
            if !tagged { return nil }
        case let .sequence(items):
            var out: [Node]? = nil
            for i in items.indices {
                if items[i].tag == resetTag {
                    if out == nil { out = Array(items[..<i]) }
                    continue
                }
                let new = strippedTags(items[i])
                if out == nil, new != nil { out = Array(items[..<i]) }
                out?.append(new ?? items[i])
            }
            kind = out.map { .sequence($0) }
        case let .mapping(pairs):
            var out: [Node.Pair]? = nil
            for i in pairs.indices {
                if pairs[i].value.tag == resetTag {
                    if out == nil { out = Array(pairs[..<i]) }
                    continue
                }
                let new = strippedTags(pairs[i].value)
                if out == nil, new != nil { out = Array(pairs[..<i]) }
                out?.append(new.map { Node.Pair(key: pairs[i].key, value: $0) } ?? pairs[i])
            }
            kind = out.map { .mapping($0) }
        }
        guard tagged || kind != nil else { return nil }
        return Node(kind ?? node.kind, tag: tagged ? nil : node.tag, mark: node.mark)
    }
}
