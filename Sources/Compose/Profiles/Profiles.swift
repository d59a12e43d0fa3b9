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
    ///   (and is dropped too, so later checks don't report it again).
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

        var outPairs: [Node.Pair] = []
        for pair in pairs {
            guard let name = pair.key.scalarValue, on.contains(name) else { continue }
            var service = pair.value
            if let deps = service["depends_on"], let depPairs = deps.mappingPairs {
                var kept: [Node.Pair] = []
                for (dep, depPair) in zip(dependencies(name), depPairs) {
                    if on.contains(dep.name) || byName[dep.name] == nil {
                        kept.append(depPair)   // unknown services are checkReferences' to report
                    } else if dep.required {
                        let enabling = profiles(dep.name)
                        let list = enabling.map { "\"\($0)\"" }.joined(separator: ", ")
                        diagnostics.append(Diagnostic(at: dep.key.mark, keyPath: "services.\(name).depends_on",
                            "service \"\(dep.name)\" is required by \"\(name)\" but is disabled",
                            hint: "enable profile\(enabling.count == 1 ? "" : "s") \(list), or set required: false"))
                    }
                }
                var newDeps = deps
                newDeps.kind = .mapping(kept)
                service = service.setting("depends_on", to: newDeps)
            }
            outPairs.append(Node.Pair(key: pair.key, value: service))
        }
        var services = servicesNode
        services.kind = .mapping(outPairs)
        return (normalized.setting("services", to: services), diagnostics)
    }
}
