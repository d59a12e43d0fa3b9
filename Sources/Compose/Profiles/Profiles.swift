import Diagnostics
import YAML

/// Which services a run of berth sees, by profile (spec chapter
/// "Profiles", with docker compose's handling of explicitly named services).
public enum Profiles {
    /// Filters `services` of a normalized tree:
    /// - a service without `profiles` is always enabled;
    /// - a service with profiles is enabled when one of them is in `enabled`
    ///   (`*` enables every profile);
    /// - a service named in `selectedServices` is enabled regardless, its
    ///   profiles become active, and the services it requires (`depends_on`
    ///   with `required: true`, transitively) are pulled in;
    /// - a disabled dependency with `required: false` is dropped from the
    ///   `depends_on` of an enabled service; a required one that is disabled
    ///   (and not pulled in) is an error naming the profiles that enable it
    ///   (and is dropped too, so later checks don't report it again);
    /// - `network_mode: service:x`, `volumes_from` and `links` never enable a
    ///   service: naming a disabled one is an error (the spec's rule).
    /// Other top-level sections are unchanged.
    public static func apply(_ normalized: Node, enabled: Set<String>, selectedServices: [String]) -> (Node, [Diagnostic]) {
        guard let servicesNode = normalized["services"], let pairs = servicesNode.mappingPairs else {
            return (normalized, [])
        }
        var diagnostics: [Diagnostic] = []
        var byName: [String: Node] = [:]
        for pair in pairs { if let name = pair.key.scalarValue { byName[name] = pair.value } }

        func profiles(_ name: String) -> [String] {
            (byName[name]?["profiles"]?.sequenceItems ?? []).compactMap(\.scalarValue)
        }
        func dependencies(_ name: String) -> [(name: String, required: Bool, key: Node)] {
            (byName[name]?["depends_on"]?.mappingPairs ?? []).compactMap { dep in
                guard let depName = dep.key.scalarValue else { return nil }
                let required = dep.value["required"]?.scalarValue.flatMap(ScalarText.composeBool) ?? true
                return (depName, required, dep.key)
            }
        }

        var active = enabled
        var selected: [String] = []
        for name in selectedServices {
            if byName[name] == nil {
                diagnostics.append(Diagnostic(at: nil, "no such service: \"\(name)\"",
                    hint: Suggestion.closest(to: name, in: byName.keys).map { "did you mean \"\($0)\"?" }))
            } else {
                selected.append(name)
                active.formUnion(profiles(name))
            }
        }

        var on = Set<String>()
        for name in byName.keys {
            let own = profiles(name)
            if own.isEmpty || active.contains("*") || own.contains(where: active.contains) { on.insert(name) }
        }
        // Explicitly selected services pull in what they require.
        var queue = selected
        while let name = queue.popLast() {
            on.insert(name)
            for dep in dependencies(name) where dep.required && byName[dep.name] != nil && !on.contains(dep.name) {
                queue.append(dep.name)
            }
        }

        // Every service enabled (the usual case): nothing below would
        // change or report anything.
        if pairs.allSatisfy({ $0.key.scalarValue.map(on.contains) ?? false }) {
            return (normalized, diagnostics)
        }
        var outPairs: [Node.Pair] = []
        for pair in pairs {
            guard let name = pair.key.scalarValue, on.contains(name) else { continue }
            var service = pair.value
            func enableHint(_ other: String) -> String {
                let enabling = profiles(other)
                return "enable profile\(enabling.count == 1 ? "" : "s") " + enabling.map { "\"\($0)\"" }.joined(separator: ", ")
            }
            if let deps = service["depends_on"], let depPairs = deps.mappingPairs {
                var kept: [Node.Pair] = []
                for depPair in depPairs {
                    guard let depName = depPair.key.scalarValue, byName[depName] != nil, !on.contains(depName) else {
                        kept.append(depPair)   // enabled, or unknown: checkReferences reports those
                        continue
                    }
                    let required = depPair.value["required"]?.scalarValue.flatMap(ScalarText.composeBool) ?? true
                    if required {
                        diagnostics.append(Diagnostic(at: depPair.key.mark, keyPath: "services.\(name).depends_on",
                            "service \"\(depName)\" is required by \"\(name)\" but is disabled",
                            hint: enableHint(depName) + ", or set required: false"))
                    }
                }
                if kept.count != depPairs.count {
                    var newDeps = deps
                    newDeps.kind = .mapping(kept)
                    service = service.setting("depends_on", to: newDeps)
                }
            }
            // Other references never enable a service (spec: "Compose returns an error").
            var references: [(String, Node, String)] = []
            if let mode = service["network_mode"], let text = mode.scalarValue, text.hasPrefix("service:") {
                references.append((String(text.dropFirst(8)), mode, "network_mode"))
            }
            for (i, from) in (service["volumes_from"]?.sequenceItems ?? []).enumerated() {
                guard let text = from.scalarValue, !text.hasPrefix("container:") else { continue }
                let target = text.hasPrefix("service:") ? text.dropFirst(8) : Substring(text)
                references.append((String(target.split(separator: ":").first ?? target), from, "volumes_from[\(i)]"))
            }
            for (i, link) in (service["links"]?.sequenceItems ?? []).enumerated() {
                guard let text = link.scalarValue else { continue }
                references.append((String(text.split(separator: ":").first ?? Substring(text)), link, "links[\(i)]"))
            }
            for (other, node, key) in references where byName[other] != nil && !on.contains(other) {
                diagnostics.append(Diagnostic(at: node.mark, keyPath: "services.\(name).\(key)",
                    "uses service \"\(other)\", which is disabled", hint: enableHint(other)))
            }
            outPairs.append(Node.Pair(key: pair.key, value: service))
        }
        var services = servicesNode
        services.kind = .mapping(outPairs)
        return (normalized.setting("services", to: services), diagnostics)
    }
}
