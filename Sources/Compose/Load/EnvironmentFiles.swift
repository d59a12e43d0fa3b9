import Diagnostics
import YAML

/// `env_file` and `label_file` folded into `environment` and `labels`, as
/// `docker compose config` shows them: variables from the files in order
/// (later files win), then the service's own entries on top (they win even
/// when empty or valueless). Entries written without a value (`- FOO`,
/// `FOO:`) take the project environment's value when it has one.
extension LoadSession {
    func foldEnvironmentFiles(_ model: Node, environment: [String: String]) -> Node {
        guard let services = model["services"], let pairs = services.mappingPairs else { return model }
        var folded = services
        folded.kind = .mapping(pairs.map { pair in
            guard let name = pair.key.scalarValue, pair.value.isMapping else { return pair }
            let path = NodePath(dotted: "services").appending(name)
            var svc = pair.value
            svc = fold(svc, fileKey: "env_file", into: "environment", path: path, environment: environment)
            svc = fold(svc, fileKey: "label_file", into: "labels", path: path, environment: environment)
            if let env = svc["environment"], let resolved = resolvedValueless(env, environment: environment) {
                svc = svc.setting("environment", to: resolved)
            }
            return Node.Pair(key: pair.key, value: svc)
        })
        return model.setting("services", to: folded)
    }

    private func fold(_ service: Node, fileKey: String, into target: String, path: NodePath,
                      environment: [String: String]) -> Node {
        guard let spec = service[fileKey] else { return service }
        var svc = service.removing(fileKey)
        if spec.isNull { return svc }
        var variables: [Node.Pair] = []
        func add(_ key: String, _ value: String, _ mark: Mark) {
            let pair = Node.Pair(key: .scalar(key, mark: mark), value: .scalar(value, style: .doubleQuoted, mark: mark))
            if let i = variables.firstIndex(where: { $0.key.scalarValue == key }) {
                variables[i] = pair
            } else {
                variables.append(pair)
            }
        }
        let items = spec.sequenceItems ?? [spec]
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(fileKey).appending(index)
            var required = true
            var raw = false
            let fileNode: Node?
            if item.isMapping {
                fileNode = item["path"]
                if let r = item["required"]?.scalarValue { required = !(r == "false" || r == "False" || r == "no") }
                raw = item["format"]?.scalarValue == "raw"
            } else {
                fileNode = item
            }
            guard let file = fileNode?.scalarValue, !(fileNode?.isNull ?? true) else {
                error(item.mark, itemPath, "\(fileKey) needs a path")
                continue
            }
            let name = display(file)
            let text: String
            do {
                guard let t = try fileSystem.readText(file, displayName: name) else {
                    if required, let service = path.keys.last {
                        serviceErrors[service, default: []].append(
                            Diagnostic(at: fileNode?.mark ?? item.mark, keyPath: itemPath.description,
                                       "\(fileKey) \(name) not found"))
                    }
                    continue
                }
                text = t
            } catch let e as DiagnosticsError {
                diagnostics += e.diagnostics
                continue
            } catch {
                self.error(fileNode?.mark ?? item.mark, itemPath, "cannot read \(fileKey) \(name): \(error)")
                continue
            }
            if raw {
                for e in DotEnv.parseRaw(text) { add(e.key, e.value, Mark(file: name, line: e.line, column: 1)) }
                continue
            }
            do {
                var known: [String: String] = [:]
                for v in variables { if let k = v.key.scalarValue { known[k] = v.value.scalarValue } }
                let entries = try DotEnv.parse(text, file: name, interpolate: interpolate,
                                               lookup: { environment[$0] }, fallback: { known[$0] })
                for e in entries { add(e.key, e.value, Mark(file: name, line: e.line, column: 1)) }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        guard !variables.isEmpty else { return svc }
        var merged = Node.mapping(variables, mark: spec.mark)
        if let own = svc[target] {
            merged = Merger.merge(merged, own, path: path.appending(target))
        }
        svc = svc.setting(target, to: merged)
        return svc
    }

    /// `- FOO` / `FOO:` take the project environment's value when it has one.
    /// Nil when no entry takes a value (the node stays as it is).
    private func resolvedValueless(_ env: Node, environment: [String: String]) -> Node? {
        var copy = env
        if let items = env.sequenceItems {
            var out: [Node]? = nil
            for i in items.indices {
                let item = items[i]
                guard let text = item.scalarValue, !text.contains("="), !item.isNull,
                      let value = environment[text] else { continue }
                if out == nil { out = items }
                out?[i] = item.withScalar(text + "=" + value)
            }
            guard let out else { return nil }
            copy.kind = .sequence(out)
        } else if let pairs = env.mappingPairs {
            var out: [Node.Pair]? = nil
            for i in pairs.indices {
                let pair = pairs[i]
                guard pair.value.isNull, let key = pair.key.scalarValue, let value = environment[key] else { continue }
                if out == nil { out = pairs }
                out?[i] = Node.Pair(key: pair.key, value: .scalar(value, style: .doubleQuoted, mark: pair.value.mark))
            }
            guard let out else { return nil }
            copy.kind = .mapping(out)
        } else {
            return nil
        }
        return copy
    }
}
