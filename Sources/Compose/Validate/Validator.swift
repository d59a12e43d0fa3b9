import Diagnostics
import YAML

/// Checks compose trees against the Compose Specification. `validate`
/// runs on the merged tree before normalization (keys, types, value
/// syntax); `checkReferences` runs on the normalized tree (names that
/// must exist, duplicate published ports, dependency cycles). Both collect
/// every problem instead of stopping at the first.
public enum Validator {
    /// Unknown keys (with a "did you mean"), wrong types and invalid values
    /// (durations, sizes, ports, volumes, restart policies, pull policies,
    /// depends_on conditions, …) anywhere in a merged compose tree.
    public static func validate(_ merged: Node) -> [Diagnostic] {
        var check = ShapeCheck()
        check.check(merged, ComposeSchema.project, path: "")
        if let version = merged["version"] {
            check.diagnostics.append(Diagnostic(.warning, at: version.mark, keyPath: "version",
                                                "the attribute is obsolete and ignored"))
        }
        for pair in merged["services"]?.mappingPairs ?? [] {
            guard let name = pair.key.scalarValue, pair.value.isMapping else { continue }
            let service = pair.value
            let path = "services.\(name)"
            if let mode = service["network_mode"], let networks = service["networks"], !networks.isNull {
                check.diagnostics.append(Diagnostic(at: mode.mark, keyPath: "\(path).network_mode",
                    "cannot be combined with \"networks\" (\(networks.mark))"))
            }
            if let mode = service["network_mode"]?.scalarValue,
               mode.hasPrefix("service:") || mode.hasPrefix("container:") || mode == "host" {
                let shared = mode != "host"
                if shared, let ports = service["ports"], !(ports.sequenceItems?.isEmpty ?? true) {
                    check.diagnostics.append(Diagnostic(at: ports.mark, keyPath: "\(path).ports",
                        "conflicting options: port publishing and the container type network mode (\"\(mode)\")",
                        hint: "publish the ports on the service or container whose network this one uses"))
                }
                if let mac = service["mac_address"] {
                    check.diagnostics.append(Diagnostic(at: mac.mark, keyPath: "\(path).mac_address",
                        "conflicting options: mac_address and the network mode \"\(mode)\""))
                }
                // A shared namespace comes with the owner's hostname, hosts and resolv.conf (Docker refuses these too).
                for key in ["hostname", "dns", "dns_search", "dns_opt", "extra_hosts"] where shared {
                    if let node = service[key] {
                        check.diagnostics.append(Diagnostic(at: node.mark, keyPath: "\(path).\(key)",
                            "conflicting options: \(key) and the network mode \"\(mode)\"",
                            hint: "the container uses the hostname, /etc/hosts and /etc/resolv.conf of the one whose network it shares"))
                    }
                }
            }
            if service["image"] == nil, service["build"] == nil, service["extends"] == nil,
               service["provider"] == nil {
                check.diagnostics.append(Diagnostic(at: pair.key.mark, keyPath: path,
                    "has neither an image nor a build context", hint: "add \"image:\" or \"build:\""))
            }
            check.diagnostics += crossFieldProblems(service, path: path)
        }
        for section in ["secrets", "configs"] {
            for pair in merged[section]?.mappingPairs ?? [] {
                guard let name = pair.key.scalarValue, pair.value.isMapping else { continue }
                let sources = ["file", "environment", "external", "content"].filter {
                    pair.value[$0] != nil && (section == "configs" || $0 != "content")
                }
                if sources.count != 1 {
                    let options = section == "configs" ? "file, environment, content or external" : "file, environment or external"
                    check.diagnostics.append(Diagnostic(at: pair.value.mark, keyPath: "\(section).\(name)",
                        sources.isEmpty ? "must set one of \(options)" : "sets both \(sources.joined(separator: " and ")); use only one"))
                }
            }
        }
        return check.diagnostics
    }

    /// Rules the schema's shapes cannot say: long volume entries whose type
    /// needs a source or forbids options, healthcheck test forms.
    static func crossFieldProblems(_ service: Node, path: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (i, volume) in (service["volumes"]?.sequenceItems ?? []).enumerated() where volume.isMapping {
            let itemPath = "\(path).volumes[\(i)]"
            guard let type = volume["type"]?.scalarValue else { continue }
            if volume["target"] == nil {
                out.append(Diagnostic(at: volume.mark, keyPath: itemPath, "missing required key \"target\""))
            }
            if type == "bind", volume["source"].map({ $0.isNull || $0.scalarValue == "" }) ?? true {
                out.append(Diagnostic(at: volume.mark, keyPath: itemPath, "a bind mount needs a \"source\" path"))
            }
            if type == "tmpfs", let source = volume["source"], !source.isNull {
                out.append(Diagnostic(at: source.mark, keyPath: "\(itemPath).source", "a tmpfs mount has no source"))
            }
            for option in ["bind", "volume", "tmpfs", "image"] where option != type {
                if let node = volume[option] {
                    out.append(Diagnostic(at: node.mark, keyPath: "\(itemPath).\(option)",
                                          "\(option) options don't apply to a mount of type \(type)"))
                }
            }
        }
        if let test = service["healthcheck"]?["test"], let items = test.sequenceItems {
            let first = items.first?.scalarValue
            if !["NONE", "CMD", "CMD-SHELL"].contains(first ?? "") {
                out.append(Diagnostic(at: (items.first ?? test).mark, keyPath: "\(path).healthcheck.test",
                    "a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\"",
                    hint: "e.g. [\"CMD\", \"curl\", \"-f\", \"http://localhost\"] or a string run by the shell"))
            } else if first != "NONE", items.count < 2 {
                out.append(Diagnostic(at: test.mark, keyPath: "\(path).healthcheck.test", "\(first ?? "") needs a command"))
            }
        }
        return out
    }
}

/// Walks a node against a `Shape`, collecting diagnostics. The key path
/// is kept as components and only rendered when something is reported.
struct ShapeCheck {
    enum Component { case key(String), index(Int) }

    var diagnostics: [Diagnostic] = []
    private var components: [Component] = []

    init() {}

    /// Starts at `path` (already rendered, e.g. `services.web`).
    mutating func check(_ node: Node, _ shape: Shape, path: String) {
        components = path.isEmpty ? [] : [.key(path)]
        walk(node, shape)
    }

    private var path: String {
        var out = ""
        for component in components {
            switch component {
            case let .key(k): out = DiagnosticPath.join(out, k)
            case let .index(i): out = DiagnosticPath.index(out, i)
            }
        }
        return out
    }

    private mutating func report(_ node: Node, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(at: node.mark, keyPath: path, message, hint: hint))
    }

    private mutating func walk(_ node: Node, _ shape: Shape) {
        switch shape {
        case .any:
            return
        case let .nullable(inner):
            if node.isNull { return }
            walk(node, inner)
        case let .scalar(rule):
            if let (message, hint) = Self.problem(node, rule) { report(node, message, hint: hint) }
        case let .list(item):
            guard let items = node.sequenceItems else { return report(node, Self.mismatch(node, shape)) }
            for (i, element) in items.enumerated() {
                components.append(.index(i))
                walk(element, item)
                components.removeLast()
            }
        case let .dictionary(value):
            guard let pairs = node.mappingPairs else { return report(node, Self.mismatch(node, shape)) }
            for pair in pairs {
                guard let key = pair.key.scalarValue else {
                    report(pair.key, "keys must be strings")
                    continue
                }
                components.append(.key(key))
                walk(pair.value, value)
                components.removeLast()
            }
        case let .object(object):
            guard let pairs = node.mappingPairs else { return report(node, Self.mismatch(node, shape)) }
            for pair in pairs {
                guard let key = pair.key.scalarValue else {
                    report(pair.key, "keys must be strings")
                    continue
                }
                if let field = object.fieldTable[key] {
                    components.append(.key(key))
                    walk(pair.value, field)
                    components.removeLast()
                } else if object.extensions, key.hasPrefix("x-") {
                    continue
                } else {
                    let suggestion = Suggestion.closest(to: key, in: object.fields.keys)
                    report(pair.key, "unknown key \"\(key)\"", hint: suggestion.map { "did you mean \"\($0)\"?" })
                }
            }
            for key in object.required where node[key] == nil {
                report(node, "missing required key \"\(key)\"")
            }
        case let .either(shapes):
            if node.isNull, shapes.contains(where: { if case .nullable = $0 { true } else { false } }) { return }
            guard let (chosen, accepted) = Self.chooseChecking(node, shapes) else {
                return report(node, Self.mismatch(node, shape))
            }
            // A scalar alternative `choose` already found valid has nothing
            // to report (its text is not parsed a second time).
            if accepted { return }
            walk(node, chosen)
        }
    }

    /// The alternative a node is checked against: the one of its kind;
    /// among several scalar ones, the first it satisfies, else the last
    /// (ordered so that the last gives the most useful message).
    static func choose(_ node: Node, _ shapes: [Shape]) -> Shape? {
        chooseChecking(node, shapes)?.shape
    }

    /// `choose`, and whether the choice is a scalar rule the node was
    /// found to satisfy (so checking it again would report nothing).
    static func chooseChecking(_ node: Node, _ shapes: [Shape]) -> (shape: Shape, accepted: Bool)? {
        let kind: Shape.Kind = node.isMapping ? .mapping : node.isSequence ? .sequence : .scalar
        var chosen: Shape? = nil
        for candidate in shapes where candidate.kind == kind || candidate.kind == nil {
            if chosen != nil, kind != .scalar { break }
            chosen = candidate
            if kind == .scalar, case let .scalar(rule) = candidate, problem(node, rule) == nil {
                return (candidate, true)
            }
        }
        return chosen.map { ($0, false) }
    }

    static func mismatch(_ node: Node, _ shape: Shape) -> String {
        let found = node.isMapping || node.isSequence ? "not \(node.shapeDescription)" : "got \(node.shapeDescription)"
        return "must be \(shape.expectation), \(found)"
    }

    /// What is wrong with a scalar for `rule` (message and hint), or nil.
    static func problem(_ node: Node, _ rule: ScalarRule) -> (String, String?)? {
        guard let text = node.scalarValue, !node.isNull else {
            return (mismatch(node, .scalar(rule)), nil)
        }
        switch rule {
        case .string:
            // A number is taken as its text: interpolation (`user: ${UID}`)
            // yields plain scalars, and docker compose treats substituted
            // values as strings. A boolean or a collection is an error.
            if case .bool? = node.scalarMeaning {
                return ("must be a string, got a boolean \(text)", "quote it: \"\(text)\"")
            }
        case .text:
            return nil
        case .integer:
            if ScalarText.integer(text) == nil { return ("must be an integer, got \"\(text)\"", nil) }
        case .number:
            if ScalarText.integer(text) == nil, !ScalarText.isCoreFloat(text) { return ("must be a number, got \"\(text)\"", nil) }
        case .boolean:
            if ScalarText.composeBool(text) == nil { return ("must be a boolean (true or false), got \"\(text)\"", nil) }
        case .duration:
            if ComposeDuration(parsing: text) == nil {
                return ("invalid duration \"\(text)\"", "use a number with a unit: 10ms, 40s, 1m30s, 1h")
            }
        case let .bytes(unlimited):
            if ScalarText.byteSize(text, allowUnlimited: unlimited) == nil {
                return ("invalid byte size \"\(text)\"", "use bytes or a number with a unit: 100k, 512m, 1g")
            }
        case let .oneOf(values):
            if !values.contains(text) {
                let quoted = values.map { "\"\($0)\"" }
                let list = quoted.count > 1 ? quoted.dropLast().joined(separator: ", ") + " or " + quoted[quoted.count - 1] : quoted.joined()
                return ("invalid value \"\(text)\" (must be \(list))",
                        Suggestion.closest(to: text, in: values).map { "did you mean \"\($0)\"?" })
            }
        case let .syntax(parse):
            if let error = parse(text) { return (error.message, nil) }
        }
        return nil
    }
}
