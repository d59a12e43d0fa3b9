import Diagnostics
import YAML

/// What `normalizeService` does with a key's value.
enum ServiceRewrite: Sendable {
    case build, command, dependsOn, environment, labelMap, deployLabels, extraHosts, stringList
    case healthcheck, networks, ports, volumes, fileReferences, pullPolicy

    /// The service keys that are rewritten: one table lookup per key
    /// instead of comparing it with each case of a `switch` on strings.
    static let byKey = KeyTable<ServiceRewrite>([
        "build": .build, "command": .command, "entrypoint": .command, "depends_on": .dependsOn,
        "environment": .environment, "labels": .labelMap, "annotations": .labelMap, "sysctls": .labelMap,
        "deploy": .deployLabels, "extra_hosts": .extraHosts, "dns": .stringList, "dns_search": .stringList,
        "tmpfs": .stringList, "expose": .stringList, "healthcheck": .healthcheck, "networks": .networks,
        "ports": .ports, "volumes": .volumes, "secrets": .fileReferences, "configs": .fileReferences,
        "pull_policy": .pullPolicy,
    ])
}

extension NormalizeRun {
    mutating func normalizeService(_ input: Node, path: String) -> Node {
        guard case var .mapping(pairs) = input.kind else { return input }
        for i in pairs.indices {
            guard let key = pairs[i].key.scalarValue, let rewrite = ServiceRewrite.byKey[key],
                  !pairs[i].value.isNull else { continue }
            let value = pairs[i].value
            switch rewrite {
            case .build: pairs[i].value = normalizeBuild(value)
            case .command: if value.isSequence { pairs[i].value = stringList(value) }
            case .dependsOn: pairs[i].value = normalizeDependsOn(value)
            case .environment: pairs[i].value = environmentMap(value)
            case .labelMap: pairs[i].value = labelMap(value)
            case .deployLabels:
                if let labels = value["labels"] { pairs[i].value = value.setting("labels", to: labelMap(labels)) }
            case .extraHosts: pairs[i].value = extraHosts(value)
            case .stringList: pairs[i].value = stringList(value)
            case .healthcheck: if value.isMapping { pairs[i].value = normalizeHealthcheck(value) }
            case .networks: pairs[i].value = normalizeServiceNetworks(value)
            case .ports:
                guard let items = value.sequenceItems else { continue }
                var out: [Node] = []
                out.reserveCapacity(items.count)
                for (n, item) in items.enumerated() { out += normalizePort(item, in: path, index: n) }
                pairs[i].value = .sequence(out, mark: value.mark)
            case .volumes:
                guard let items = value.sequenceItems else { continue }
                let out = items.enumerated().map { normalizeVolume($0.element, in: path, index: $0.offset) }
                pairs[i].value = .sequence(out, mark: value.mark)
            case .fileReferences: pairs[i].value = fileReferences(value)
            case .pullPolicy:
                if value.scalarValue == "if_not_present" { pairs[i].value = .scalar("missing", mark: value.mark) }
            }
        }
        var s = input
        s.kind = .mapping(pairs)
        if (s["networks"].map(\.isNull) ?? true), s["network_mode"] == nil {
            s = s.setting("networks", to: .map([("default", .scalar("null", mark: s.mark))], mark: s.mark))
        }
        return reconcileScale(s, path: path)
    }

    /// `build: ./dir` → `{context: /abs/dir, dockerfile: Dockerfile}`; the
    /// long form gets the same defaults and maps for args/labels.
    func normalizeBuild(_ node: Node) -> Node {
        var build = node
        if let text = node.scalarValue {
            build = .map([("context", .scalar(text, mark: node.mark))], mark: node.mark)
        }
        guard build.isMapping else { return node }
        let context = build["context"]?.scalarValue ?? "."
        let contextMark = build["context"]?.mark ?? build.mark
        build = build.setting("context", to: .string(Self.isRemote(context) ? context : resolvePath(context), mark: contextMark))
        if build["dockerfile"] == nil, build["dockerfile_inline"] == nil {
            build = build.setting("dockerfile", to: .scalar("Dockerfile", mark: build.mark))
        }
        if let args = build["args"] { build = build.setting("args", to: environmentMap(args)) }
        if let labels = build["labels"] { build = build.setting("labels", to: labelMap(labels)) }
        if let hosts = build["extra_hosts"] { build = build.setting("extra_hosts", to: extraHosts(hosts)) }
        if let secrets = build["secrets"] { build = build.setting("secrets", to: fileReferences(secrets)) }
        return build
    }

    /// `[db]` → `{db: {condition: service_started, required: true}}`; long
    /// entries get `required: true` when it is missing.
    func normalizeDependsOn(_ node: Node) -> Node {
        if let items = node.sequenceItems {
            return .init(.mapping(items.compactMap { item in
                guard item.scalarValue != nil else { return nil }
                return Node.Pair(key: item, value: .map([
                    ("condition", .scalar("service_started", mark: item.mark)),
                    ("required", .bool(true, mark: item.mark)),
                ], mark: item.mark))
            }), tag: nil, mark: node.mark)
        }
        guard let pairs = node.mappingPairs else { return node }
        var out = node
        out.kind = .mapping(pairs.map { pair in
            var p = pair
            let entry = pair.value.isNull ? Node.mapping([], mark: pair.value.mark) : pair.value
            guard entry.isMapping else { return pair }
            var fields: [(String, Node)] = [
                ("condition", entry["condition"] ?? .scalar("service_started", mark: entry.mark)),
                ("required", entry["required"] ?? .bool(true, mark: entry.mark)),
            ]
            if let restart = entry["restart"] { fields.append(("restart", restart)) }
            for key in entry.mappingKeys where key.hasPrefix("x-") { fields.append((key, entry[key] ?? entry)) }
            p.value = .map(fields, mark: entry.mark)
            return p
        })
        return out
    }

    /// `["host:ip", "host=ip"]` or a map → `{host: [ip, …]}`.
    func extraHosts(_ node: Node) -> Node {
        var entries: [(Node, [Node])] = []
        var position: [String: Int] = [:]
        func add(_ key: Node, _ values: [Node]) {
            let name = key.scalarValue ?? ""
            if let i = position[name] {
                entries[i].1 += values
            } else {
                position[name] = entries.count
                entries.append((key, values))
            }
        }
        if let items = node.sequenceItems {
            for item in items {
                guard let text = item.scalarValue else { continue }
                let sep = text.firstIndex(of: "=") ?? text.firstIndex(of: ":")
                guard let sep else { continue }
                var ip = String(text[text.index(after: sep)...])
                if ip.hasPrefix("["), ip.hasSuffix("]") { ip = String(ip.dropFirst().dropLast()) }
                add(.string(String(text[..<sep]), mark: item.mark), [.string(ip, mark: item.mark)])
            }
        } else if let pairs = node.mappingPairs {
            for pair in pairs {
                if let items = pair.value.sequenceItems {
                    add(pair.key, items.compactMap { $0.scalarValue.map { text in Node.string(text, mark: pair.value.mark) } })
                } else if let text = pair.value.scalarValue {
                    add(pair.key, [.string(text, mark: pair.value.mark)])
                }
            }
        } else {
            return node
        }
        return Node(.mapping(entries.map { Node.Pair(key: $0.0, value: .sequence($0.1, mark: $0.0.mark)) }),
                    tag: nil, mark: node.mark)
    }

    /// A string test → `[CMD-SHELL, text]`; `disable: true` or `test: [NONE]`
    /// → `{disable: true}` (nothing else applies to a disabled check).
    func normalizeHealthcheck(_ node: Node) -> Node {
        var h = node
        let disabled = h["disable"]?.scalarValue.flatMap(ScalarText.composeBool) ?? false
        let testNone = h["test"]?.sequenceItems?.first?.scalarValue == "NONE"
        if disabled || testNone {
            return .map([("disable", .bool(true, mark: (h["disable"] ?? h["test"] ?? h).mark))], mark: h.mark)
        }
        if let test = h["test"] {
            if let text = test.scalarValue, !test.isNull {
                h = h.setting("test", to: .sequence([.scalar("CMD-SHELL", mark: test.mark), .string(text, mark: test.mark)],
                                                    mark: test.mark))
            } else if test.isSequence {
                h = h.setting("test", to: stringList(test))
            }
        }
        if let disable = h["disable"] { h = h.setting("disable", to: .bool(false, mark: disable.mark)) }
        return h
    }

    /// `[front, back]` → `{front: null, back: null}`; mapping entries kept.
    func normalizeServiceNetworks(_ node: Node) -> Node {
        guard let items = node.sequenceItems else { return node }
        return Node(.mapping(items.map { Node.Pair(key: $0, value: .scalar("null", mark: $0.mark)) }), tag: nil, mark: node.mark)
    }

    /// `- source` → `{source: source}`; long entries kept.
    func fileReferences(_ node: Node) -> Node {
        guard let items = node.sequenceItems else { return node }
        return .sequence(items.map { item in
            guard let name = item.scalarValue, !item.isNull else { return item }
            return .map([("source", .string(name, mark: item.mark))], mark: item.mark)
        }, mark: node.mark)
    }

    /// `scale` and `deploy.replicas` must agree; both are then set.
    mutating func reconcileScale(_ input: Node, path: String) -> Node {
        var s = input
        let scaleNode = s["scale"]
        let replicasNode = s["deploy"]?["replicas"]
        let scale = scaleNode?.scalarValue.flatMap(ScalarText.integer)
        let replicas = replicasNode?.scalarValue.flatMap(ScalarText.integer)
        if let scale, let replicas, scale != replicas, let scaleNode, let replicasNode {
            error(scaleNode, "\(path).scale",
                  "conflicts with deploy.replicas (\(scale) ≠ \(replicas), set at \(replicasNode.mark))")
            return s
        }
        guard let count = scale ?? replicas else { return s }
        let mark = (scaleNode ?? replicasNode ?? s).mark
        s = s.setting("scale", to: .integer(count, mark: mark))
        let deploy = s["deploy"].flatMap { $0.isMapping ? $0 : nil } ?? .mapping([], mark: mark)
        return s.setting("deploy", to: deploy.setting("replicas", to: .integer(count, mark: mark)))
    }
}
