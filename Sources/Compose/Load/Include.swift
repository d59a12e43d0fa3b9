import Diagnostics
import YAML

/// Assembling one compose model from its files, and `include`
/// (compose-spec 14-include.md): each included project is loaded on its own
/// (its own project directory for relative paths, its own `.env` or
/// `env_file` for interpolation, overridden by the including project's
/// environment), then its resources are copied in. A service defined on
/// both sides is an error; other resources must be identical.
extension LoadSession {
    /// The sections an included project contributes.
    static let importedSections = ["services", "networks", "volumes", "secrets", "configs", "models"]

    /// Loads `files` as one model: each file prepared (interpolated, paths
    /// resolved against the project directory when it was given explicitly,
    /// else against the file's own directory), `extends` applied per file,
    /// files merged, then `include` applied and (for included projects, which
    /// need their own environment) `env_file`/`label_file` folded in. The main
    /// project folds them after schema validation, so their entries are checked.
    func loadModel(files: [(path: String, mark: Mark?, keyPath: NodePath)], projectDirectory: String,
                   explicitDirectory: Bool, environment: [String: String], includeChain: [String],
                   foldEnvironment: Bool = true) -> Node {
        var documents: [Node] = []
        for file in files {
            let base = explicitDirectory || file.path == LoadSession.stdinPath
                ? projectDirectory : PathRules.directory(of: file.path)
            guard let doc = prepare(file.path, base: base, environment: environment,
                                    referencedAt: file.mark, keyPath: file.keyPath) else { continue }
            superseded.append(doc)
            documents.append(applyExtends(doc, path: file.path, environment: environment))
        }
        superseded += documents
        var model = Merger.merge(documents: documents, tagged: sawTags)
        superseded.append(model)
        model = applyIncludes(model, environment: environment, includeChain: includeChain)
        guard foldEnvironment else { return model }
        superseded.append(model)
        return foldEnvironmentFiles(model, environment: environment)
    }

    private func applyIncludes(_ model: Node, environment: [String: String], includeChain: [String]) -> Node {
        guard let include = model["include"] else { return model }
        var result = model.removing("include")
        let path = NodePath(dotted: "include")
        let entries = include.sequenceItems ?? (include.isNull ? [] : [include])
        for (index, entry) in entries.enumerated() {
            let entryPath = path.appending(index)
            var paths: [Node] = []
            var directoryNode: Node?
            var envFileNodes: [Node]?
            if entry.isScalar {
                paths = [entry]
            } else if entry.isMapping {
                if let p = entry["path"] { paths = p.sequenceItems ?? [p] }
                directoryNode = entry["project_directory"]
                if let e = entry["env_file"] { envFileNodes = e.sequenceItems ?? [e] }
            }
            let files = paths.compactMap { $0.isNull ? nil : $0.scalarValue }
            guard let first = files.first else {
                error(entry.mark, entryPath, "include needs a \"path\"")
                continue
            }
            if let cyclic = files.first(where: { includeChain.contains($0) }) {
                let chain = (includeChain + [cyclic]).map { display($0) }
                error(entry.mark, entryPath, "include cycle: " + chain.joined(separator: " → "))
                continue
            }
            let directory = directoryNode?.scalarValue ?? PathRules.directory(of: first)
            // Default values from the included project's env files; the
            // including project's environment takes precedence.
            let envFiles: [(path: String, required: Bool, mark: Mark?, keyPath: NodePath)] =
                envFileNodes.map { nodes in
                    nodes.compactMap { n in
                        n.scalarValue.map { ($0, true, n.mark, entryPath.appending("env_file")) }
                    }
                } ?? [(PathRules.join(directory, ".env"), false, entry.mark, entryPath)]
            var subEnvironment = readEnvironmentFiles(envFiles, lookupFirst: environment)
            for (k, v) in environment { subEnvironment[k] = v }

            let sub = loadModel(files: paths.enumerated().compactMap { i, n in
                                    n.scalarValue.map { ($0, n.mark, entryPath.appending("path").appending(i)) }
                                },
                                projectDirectory: directory, explicitDirectory: directoryNode != nil,
                                environment: subEnvironment, includeChain: includeChain + files)
            result = importResources(from: sub, into: result, includedFrom: entry, keyPath: entryPath)
        }
        return result
    }

    private func importResources(from sub: Node, into model: Node, includedFrom entry: Node, keyPath: NodePath) -> Node {
        var result = model
        for section in LoadSession.importedSections {
            guard let imported = sub[section]?.mappingPairs, !imported.isEmpty else { continue }
            var target = result[section] ?? Node.mapping([Node.Pair](), mark: entry.mark)
            if !target.isMapping { continue }
            var pairs = target.mappingPairs ?? []
            for pair in imported {
                guard let name = pair.key.scalarValue else { continue }
                if let existing = pairs.first(where: { $0.key.scalarValue == name }) {
                    if section == "services" || !existing.value.sameContent(as: pair.value) {
                        let noun = section == "services" ? "service" : String(section.dropLast())
                        error(existing.key.mark, NodePath(dotted: section).appending(name),
                              "\(noun) \"\(name)\" conflicts with the \(noun) of the same name included at \(entry.mark) (defined at \(pair.key.mark))")
                    }
                    continue
                }
                pairs.append(pair)
            }
            target.kind = .mapping(pairs)
            result = result.setting(section, to: target)
        }
        return result
    }
}
