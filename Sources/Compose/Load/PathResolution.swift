import Diagnostics
import YAML

/// Makes the relative paths of one compose file absolute, against that
/// file's base directory, before files are merged (so each file's paths
/// keep meaning what they meant in that file). `~` becomes the home
/// directory. Covered: `build` (string or `context`, not URLs or git
/// remotes; `dockerfile` stays relative to the context), `build.additional_contexts`,
/// `env_file`, `label_file`, bind sources of `volumes` in short (`./x:/y`,
/// `../x:/y`, `~/x:/y`) and long (`type: bind`) syntax, `extends.file`,
/// `develop.watch[].path`, top-level `include` paths, and the `file` of
/// top-level `secrets` and `configs`.
public enum PathResolution {
    /// Resolves the paths in `document` against `base`.
    public static func resolve(_ document: Node, base: String, home: String) -> Node {
        let r = Resolver(base: base, home: home)
        var doc = document
        if let services = doc["services"], let pairs = services.mappingPairs {
            var resolved = services
            if pairs.count >= splitThreshold {
                // A long mapping: the second half on another thread.
                let middle = pairs.count / 2
                let (head, tail) = Concurrently.run({
                    pairs[..<middle].map { Node.Pair(key: $0.key, value: r.service($0.value)) }
                }, beside: {
                    pairs[middle...].map { Node.Pair(key: $0.key, value: r.service($0.value)) }
                })
                resolved.kind = .mapping(head + tail)
            } else {
                resolved = mapValues(services) { r.service($0) }
            }
            doc = doc.setting("services", to: resolved)
        }
        for section in ["secrets", "configs"] {
            if let node = doc[section], node.isMapping {
                doc = doc.setting(section, to: mapValues(node) { def in
                    guard let file = def["file"], let text = file.scalarValue else { return def }
                    return def.setting("file", to: file.withScalar(r.path(text)))
                })
            }
        }
        if let include = doc["include"] {
            doc = doc.setting("include", to: r.include(include))
        }
        return doc
    }

    /// The fewest services for `resolve` to resolve them in two halves at once.
    static let splitThreshold = 64

    static func mapValues(_ node: Node, _ transform: (Node) -> Node) -> Node {
        guard let pairs = node.mappingPairs else { return node }
        var copy = node
        copy.kind = .mapping(pairs.map { Node.Pair(key: $0.key, value: transform($0.value)) })
        return copy
    }

    static func mapItems(_ node: Node, _ transform: (Node) -> Node) -> Node {
        if let items = node.sequenceItems {
            var copy = node
            copy.kind = .sequence(items.map(transform))
            return copy
        }
        return transform(node)
    }

    /// Whether a build context names a remote source rather than a directory.
    static func isRemote(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("://") || lower.hasPrefix("git@") || lower.hasPrefix("github.com/")
    }

    struct Resolver {
        let base: String
        let home: String

        func path(_ text: String) -> String {
            text.isEmpty ? text : PathRules.resolve(text, against: base, home: home)
        }

        func scalarPath(_ node: Node) -> Node {
            guard let text = node.scalarValue, !node.isNull else { return node }
            return node.withScalar(path(text))
        }

        func service(_ svc: Node) -> Node {
            guard svc.isMapping else { return svc }
            var s = svc
            if let build = s["build"] {
                if let text = build.scalarValue, !build.isNull {
                    if !PathResolution.isRemote(text) { s = s.setting("build", to: build.withScalar(path(text))) }
                } else if build.isMapping {
                    var b = build
                    if let ctx = b["context"], let text = ctx.scalarValue, !PathResolution.isRemote(text) {
                        b = b.setting("context", to: ctx.withScalar(path(text)))
                    }
                    if let extra = b["additional_contexts"] {
                        b = b.setting("additional_contexts", to: additionalContexts(extra))
                    }
                    s = s.setting("build", to: b)
                }
            }
            for key in ["env_file", "label_file"] {
                if let node = s[key] {
                    s = s.setting(key, to: PathResolution.mapItems(node) { item in
                        if item.isMapping, let p = item["path"] { return item.setting("path", to: scalarPath(p)) }
                        return scalarPath(item)
                    })
                }
            }
            if let volumes = s["volumes"], volumes.isSequence {
                s = s.setting("volumes", to: PathResolution.mapItems(volumes) { volume($0) })
            }
            if let ext = s["extends"], ext.isMapping, let file = ext["file"] {
                s = s.setting("extends", to: ext.setting("file", to: scalarPath(file)))
            }
            if let develop = s["develop"], let watch = develop["watch"], watch.isSequence {
                s = s.setting("develop", to: develop.setting("watch", to: PathResolution.mapItems(watch) { rule in
                    guard let p = rule["path"] else { return rule }
                    return rule.setting("path", to: scalarPath(p))
                }))
            }
            return s
        }

        func additionalContexts(_ node: Node) -> Node {
            func resolveValue(_ text: String) -> String {
                let lower = text.lowercased()
                if PathResolution.isRemote(text) || lower.hasPrefix("service:") || lower.hasPrefix("target:") {
                    return text
                }
                return path(text)
            }
            if node.isMapping {
                return PathResolution.mapValues(node) { v in
                    guard let t = v.scalarValue else { return v }
                    return v.withScalar(resolveValue(t))
                }
            }
            return PathResolution.mapItems(node) { item in
                guard let t = item.scalarValue, let eq = t.firstIndex(of: "=") else { return item }
                return item.withScalar(String(t[...eq]) + resolveValue(String(t[t.index(after: eq)...])))
            }
        }

        /// Bind sources: short syntax sources starting with `.` or `~`
        /// (named volumes have no leading `.`, `/` or `~`); long syntax `type: bind`.
        func volume(_ item: Node) -> Node {
            if let text = item.scalarValue {
                guard text.hasPrefix(".") || text.hasPrefix("~"),
                      let colon = text.firstIndex(of: ":") else { return item }
                let source = String(text[..<colon])
                return item.withScalar(path(source) + String(text[colon...]))
            }
            if item.isMapping, item["type"]?.scalarValue == "bind", let src = item["source"],
               let text = src.scalarValue, !text.isEmpty {
                return item.setting("source", to: src.withScalar(path(text)))
            }
            return item
        }

        func include(_ node: Node) -> Node {
            PathResolution.mapItems(node) { entry in
                if entry.isScalar { return scalarPath(entry) }
                guard entry.isMapping else { return entry }
                var e = entry
                if let p = e["path"] { e = e.setting("path", to: PathResolution.mapItems(p) { scalarPath($0) }) }
                if let d = e["project_directory"] { e = e.setting("project_directory", to: scalarPath(d)) }
                if let f = e["env_file"] { e = e.setting("env_file", to: PathResolution.mapItems(f) { scalarPath($0) }) }
                return e
            }
        }
    }
}
