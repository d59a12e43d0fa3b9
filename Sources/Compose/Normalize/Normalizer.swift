import Diagnostics
import YAML

/// What normalization needs from outside the tree: where relative paths
/// start, what `~` means, and the variables that fill `environment`
/// entries written without a value.
public struct NormalizeContext: Sendable {
    /// The project directory; relative bind sources and build contexts are
    /// resolved against it (the loader has usually made them absolute already).
    public var workingDirectory: String
    /// What `~` expands to.
    public var homeDirectory: String
    /// Variables for `environment: [NAME]` entries without `=`.
    public var environment: [String: String]

    public init(workingDirectory: String, homeDirectory: String, environment: [String: String]) {
        self.workingDirectory = workingDirectory
        self.homeDirectory = homeDirectory
        self.environment = environment
    }
}

/// Rewrites a merged, interpolated compose tree into the long forms
/// `docker compose config` prints: ports, volumes, depends_on, build,
/// healthcheck, environment/labels maps, networks (with the implicit
/// `default`), secrets/configs, scale. Scalars of typed fields become
/// canonical (`yes` → `true`, `90s` → `1m30s`, `512m` → bytes). Every
/// rewritten node keeps the mark of the text it came from.
public enum Normalizer {
    /// Returns the normalized tree and the problems met on the way (a
    /// malformed value is left as it was). Run `Validator.validate` first:
    /// its messages are the complete ones.
    public static func normalize(_ root: Node, context: NormalizeContext) -> (Node, [Diagnostic]) {
        var run = NormalizeRun(context: context)
        let node = run.normalizeProject(root)
        return (node, run.diagnostics)
    }
}

struct NormalizeRun: Sendable {
    let context: NormalizeContext
    var diagnostics: [Diagnostic] = []
    /// Port entries produced so far; range expansion stops at `maxPorts`
    /// so that a hostile file cannot make millions of nodes.
    var expandedPorts = 0
    static let maxPorts = 100_000

    mutating func error(_ node: Node, _ path: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(at: node.mark, keyPath: path, message, hint: hint))
    }

    mutating func normalizeProject(_ input: Node) -> Node {
        guard input.isMapping else { return input }
        var root = input
        var usesDefaultNetwork = false
        if let services = root["services"], let pairs = services.mappingPairs {
            var out = services
            let normalized: [Node.Pair]
            (normalized, usesDefaultNetwork) = normalizeServices(pairs)
            out.kind = .mapping(normalized)
            root = root.setting("services", to: out)
        }
        for section in ["networks", "volumes"] {
            guard let entries = root[section] else { continue }
            root = root.setting(section, to: mapEntries(entries, path: section) { name, node, path in
                self.normalizeResource(node, name: name, path: path)
            })
        }
        for section in ["secrets", "configs"] {
            guard let entries = root[section] else { continue }
            root = root.setting(section, to: mapEntries(entries, path: section) { name, node, path in
                var out = self.normalizeResource(node, name: name, path: path)
                if let file = out["file"]?.scalarValue {
                    out = out.setting("file", to: .scalar(self.resolvePath(file), mark: out["file"]?.mark ?? node.mark))
                }
                return out
            })
        }
        if usesDefaultNetwork {
            let networks = root["networks"].flatMap { $0.isNull ? nil : $0 } ?? .mapping([], mark: root.mark)
            if networks["default"] == nil {
                root = root.setting("networks", to: networks.setting("default", to: .mapping([], mark: root.mark)))
            }
        }
        // Services were made canonical one by one above.
        Canonicalizer.apply(&root, Self.projectOutsideServices)
        return root
    }

    /// The project's schema with `services` left alone (for the
    /// canonicalization that follows `normalizeServices`).
    static let projectOutsideServices: Shape = {
        guard case let .object(object) = ComposeSchema.project else { return ComposeSchema.project }
        var fields = object.fields
        fields["services"] = .any
        return .object(ObjectShape(fields, extensions: object.extensions, required: object.required))
    }()

    /// Normalized and canonical services, and whether one joins the
    /// `default` network. A large project is done in two halves at once,
    /// the second on another thread with its own run; the result, the
    /// diagnostics (first half's, then second's) and the port count are
    /// those of one run over all services in order. (When the two halves
    /// together expand more ports than `maxPorts`, where that order
    /// matters, the second half is done again after the first.)
    mutating func normalizeServices(_ pairs: [Node.Pair]) -> ([Node.Pair], Bool) {
        guard pairs.count >= 32 else { return Self.normalize(pairs[...], in: &self) }
        let first = pairs[..<(pairs.count / 2)], second = pairs[(pairs.count / 2)...]
        let context = self.context
        let ((head, headUses), (tail, tailUses, tailRun)) = Concurrently.run({
            Self.normalize(first, in: &self)
        }, beside: {
            var run = NormalizeRun(context: context)
            let (tail, uses) = Self.normalize(second, in: &run)
            return (tail, uses, run)
        })
        if expandedPorts + tailRun.expandedPorts > Self.maxPorts {
            let (tail, tailUses) = Self.normalize(second, in: &self)
            return (head + tail, headUses || tailUses)
        }
        diagnostics += tailRun.diagnostics
        expandedPorts += tailRun.expandedPorts
        return (head + tail, headUses || tailUses)
    }

    /// `normalizeService` then the service schema's canonical scalars, for
    /// each service of `pairs` (what the project's canonicalization did to
    /// each entry of `services`).
    static func normalize(_ pairs: ArraySlice<Node.Pair>, in run: inout NormalizeRun) -> ([Node.Pair], Bool) {
        var usesDefaultNetwork = false
        let out = pairs.map { pair in
            guard let name = pair.key.scalarValue else { return pair }
            var p = pair
            if pair.value.isMapping {
                p.value = run.normalizeService(pair.value, path: "services.\(name)")
                if p.value["networks"]?["default"] != nil { usesDefaultNetwork = true }
            }
            if let canonical = Canonicalizer.rewritten(p.value, ComposeSchema.service) { p.value = canonical }
            return p
        }
        return (out, usesDefaultNetwork)
    }

    /// Applies `transform` to each value of a mapping (null → empty mapping first).
    func mapEntries(_ node: Node, path: String, _ transform: (String, Node, String) -> Node) -> Node {
        guard let pairs = node.mappingPairs else { return node }
        var out = node
        out.kind = .mapping(pairs.map { pair in
            guard let name = pair.key.scalarValue else { return pair }
            var p = pair
            let value = pair.value.isNull ? Node.mapping([], mark: pair.value.mark) : pair.value
            p.value = transform(name, value, DiagnosticPath.join(path, name))
            return p
        })
        return out
    }

    /// Top-level network/volume/secret/config: `external: {name: x}` (legacy)
    /// → `external: true` + `name: x`; an external resource without a name
    /// gets its key as name (the engine never prefixes external names);
    /// labels list → map.
    func normalizeResource(_ input: Node, name: String, path: String) -> Node {
        guard input.isMapping else { return input }
        var node = input
        if let external = node["external"] {
            var isExternal = false
            if external.isMapping {
                isExternal = true
                if let legacyName = external["name"], node["name"] == nil {
                    node = node.setting("name", to: legacyName)
                }
            } else if let text = external.scalarValue, ScalarText.composeBool(text) == true {
                isExternal = true
            }
            node = node.setting("external", to: .bool(isExternal, mark: external.mark))
            if isExternal, node["name"] == nil {
                node = node.setting("name", to: .string(name, mark: external.mark))
            }
        }
        if let labels = node["labels"] { node = node.setting("labels", to: labelMap(labels)) }
        return node
    }

    // MARK: Paths

    /// `~` → home; relative → against the working directory; cleaned.
    func resolvePath(_ path: String) -> String {
        var p = path
        if p == "~" {
            p = context.homeDirectory
        } else if p.hasPrefix("~/") {
            p = context.homeDirectory + "/" + p.dropFirst(2)
        }
        if !p.hasPrefix("/") { p = context.workingDirectory + "/" + p }
        return PathRules.clean(p)
    }

    /// Remote build contexts (git, http) are not paths.
    static func isRemote(_ context: String) -> Bool {
        context.contains("://") || context.hasPrefix("git@") || context.hasPrefix("github.com/")
    }

    // MARK: Maps from lists

    /// `environment`/`args`: `["A=1", "B"]` or `{A: 1, B: null}` → map of
    /// strings; an entry without a value takes the variable from
    /// `context.environment` and stays null when that is unset.
    func environmentMap(_ node: Node) -> Node {
        func resolved(_ name: String, _ mark: Mark) -> Node {
            if let value = context.environment[name] { return .string(value, mark: mark) }
            return .scalar("null", mark: mark)
        }
        return keyValueMap(node, bare: resolved) { pair in
            guard let key = pair.key.scalarValue else { return nil }
            if pair.value.isNull { return resolved(key, pair.value.mark) }
            return Node.string(of: pair.value) ?? pair.value
        }
    }

    /// `labels`/`annotations`/`sysctls`: `["a=b", "c"]` or a map → map of
    /// strings; a missing value is the empty string.
    func labelMap(_ node: Node) -> Node {
        keyValueMap(node, bare: { _, mark in .string("", mark: mark) }) { pair in
            if pair.value.isNull { return .string("", mark: pair.value.mark) }
            return Node.string(of: pair.value) ?? pair.value
        }
    }

    /// `["K=V", "K"]` or `{K: V}` → a map in first-seen order, a repeated
    /// name keeping its last value. `bare` gives the value of a list entry
    /// without `=`; `mapped` the value of a map entry (nil skips it).
    private func keyValueMap(_ node: Node, bare: (String, Mark) -> Node, mapped: (Node.Pair) -> Node?) -> Node {
        var entries: [(Node, Node)] = []
        // Names compared as a `Dictionary` compares them (String's ==);
        // environment and label maps are short: scanned, no hashing, until
        // they grow past 16 names.
        var names: [String] = []
        var position: [String: Int]?
        func add(_ key: Node, _ value: Node) {
            let name = key.scalarValue ?? ""
            let found = position.map { $0[name] } ?? names.firstIndex(of: name)
            if let i = found {
                entries[i] = (key, value)
                return
            }
            if position != nil {
                position?[name] = entries.count
            } else {
                names.append(name)
                if names.count > 16 {
                    position = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
                }
            }
            entries.append((key, value))
        }
        if let items = node.sequenceItems {
            for item in items {
                guard let text = item.scalarValue else { continue }
                if let eq = text.firstIndex(of: "=") {
                    add(.string(String(text[..<eq]), mark: item.mark), .string(String(text[text.index(after: eq)...]), mark: item.mark))
                } else {
                    add(.string(text, mark: item.mark), bare(text, item.mark))
                }
            }
        } else if let pairs = node.mappingPairs {
            for pair in pairs {
                if let value = mapped(pair) { add(pair.key, value) }
            }
        } else {
            return node
        }
        return Node(.mapping(entries.map { Node.Pair(key: $0.0, value: $0.1) }), tag: nil, mark: node.mark)
    }

    /// A string or a list → a list of strings.
    func stringList(_ node: Node) -> Node {
        if let text = node.scalarValue, !node.isNull { return .sequence([.string(text, mark: node.mark)], mark: node.mark) }
        guard let items = node.sequenceItems else { return node }
        return .sequence(items.map { Node.string(of: $0) ?? $0 }, mark: node.mark)
    }
}

extension Node {
    /// A mapping from string keys (each key carrying `mark`).
    static func map(_ entries: [(String, Node)], mark: Mark) -> Node {
        Node(.mapping(entries.map { Node.Pair(key: .scalar($0.0, mark: mark), value: $0.1) }), tag: nil, mark: mark)
    }
}
