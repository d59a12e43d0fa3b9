import Diagnostics
import YAML

/// `extends` (compose-spec 05-services.md): a service starts from another
/// service of the same file or of another file, recursively; the
/// extending service's own values are merged on top with the merge rules.
/// Runs per file, after interpolation and path resolution and before the
/// files are merged. Cycles are reported as `a → b → a` with positions.
extension LoadSession {
    private struct Link: Equatable {
        var file: String
        var service: String
        var mark: Mark
    }

    /// `document` (the file at `path`) with every service's `extends` applied.
    func applyExtends(_ document: Node, path: String, environment: [String: String]) -> Node {
        guard let services = document["services"], let pairs = services.mappingPairs else { return document }
        guard pairs.contains(where: { $0.value["extends"] != nil }) else { return document }
        var resolved = services
        resolved.kind = .mapping(pairs.map { pair in
            guard let name = pair.key.scalarValue, pair.value["extends"] != nil else { return pair }
            let value = resolveExtends(service: name, node: pair.value, document: document, file: path,
                                       environment: environment, chain: [])
            return Node.Pair(key: pair.key, value: value)
        })
        return document.setting("services", to: resolved)
    }

    private func resolveExtends(service name: String, node: Node, document: Node, file: String,
                                environment: [String: String], chain: [Link]) -> Node {
        let keyPath = NodePath(dotted: "services").appending(name)
        guard let ext = node["extends"] else { return node }
        let own = node.removing("extends")
        let baseName: String
        var targetFile = file
        var fileMark: Mark?
        if let text = ext.scalarValue, !ext.isNull {
            baseName = text
        } else if ext.isMapping, let s = ext["service"]?.scalarValue, !s.isEmpty {
            baseName = s
            if let f = ext["file"], let text = f.scalarValue, !f.isNull {
                targetFile = text
                fileMark = f.mark
            }
        } else {
            error(ext.mark, keyPath.appending("extends"), "extends needs a \"service\" to extend")
            return own
        }

        let here = Link(file: file, service: name, mark: node.mark)
        let chainHere = chain + [here]
        if let start = chainHere.firstIndex(where: { $0.file == targetFile && $0.service == baseName }) {
            let members = chainHere[start...].map { "\($0.file)\u{0}\($0.service)" }.sorted()
            if !reportedCycles.insert(members).inserted { return own }
            let sameFile = chainHere.allSatisfy { $0.file == targetFile }
            let cycle = chainHere[start...].map { link in
                (sameFile ? link.service : "\(display(link.file)):\(link.service)") + " (\(link.mark))"
            } + [sameFile ? baseName : "\(display(targetFile)):\(baseName)"]
            error(ext.mark, keyPath.appending("extends"),
                  "extends cycle: " + cycle.joined(separator: " → "))
            return own
        }

        let baseDocument: Node
        if targetFile == file {
            baseDocument = document
        } else {
            guard let doc = prepare(targetFile, base: PathRules.directory(of: targetFile), environment: environment,
                                    referencedAt: fileMark, keyPath: keyPath.appending("extends").appending("file"))
            else { return own }
            baseDocument = doc
        }
        guard let baseNode = baseDocument["services"]?[baseName], baseNode.isMapping else {
            let whereText = targetFile == file ? "" : " in \(display(targetFile))"
            let known = baseDocument["services"]?.mappingKeys ?? []
            error(ext["service"]?.mark ?? ext.mark, keyPath.appending("extends").appending("service"),
                  "cannot extend service \"\(baseName)\": no such service\(whereText)",
                  hint: LoadSuggestion.closest(to: baseName, in: known).map { "did you mean \"\($0)\"?" })
            return own
        }
        let base = resolveExtends(service: baseName, node: baseNode, document: baseDocument, file: targetFile,
                                  environment: environment, chain: chainHere)

        // The spec's restriction: `healthcheck.disable: true` only when the base disables it too.
        if own["healthcheck"]?["disable"]?.scalarValue == "true",
           let baseCheck = base["healthcheck"], baseCheck["disable"]?.scalarValue != "true" {
            error(own["healthcheck"]?["disable"]?.mark, keyPath.appending("healthcheck").appending("disable"),
                  "cannot disable the healthcheck of extended service \"\(baseName)\", which defines one")
        }
        return Merger.merge(Merger.stripTags(base), own, path: keyPath)
    }
}

/// "did you mean" suggestions by edit distance.
enum LoadSuggestion {
    static func closest(to word: String, in candidates: [String]) -> String? {
        let best = candidates.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
