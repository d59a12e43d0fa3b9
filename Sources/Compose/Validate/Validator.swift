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
            if service["image"] == nil, service["build"] == nil, service["extends"] == nil,
               service["provider"] == nil {
                check.diagnostics.append(Diagnostic(at: pair.key.mark, keyPath: path,
                    "has neither an image nor a build context", hint: "add \"image:\" or \"build:\""))
            }
        }
        return check.diagnostics
    }
}

/// Walks a node against a `Shape`, collecting diagnostics.
struct ShapeCheck {
    var diagnostics: [Diagnostic] = []

    mutating func check(_ node: Node, _ shape: Shape, path: String) {
        switch shape {
        case .any:
            return
        case let .nullable(inner):
            if node.isNull { return }
            check(node, inner, path: path)
        case let .scalar(rule):
            checkScalar(node, rule, path: path)
        case let .list(item):
            guard let items = node.sequenceItems else { return mismatch(node, shape, path) }
            for (i, element) in items.enumerated() { check(element, item, path: KeyPath.index(path, i)) }
        case let .dictionary(value):
            guard let pairs = node.mappingPairs else { return mismatch(node, shape, path) }
            for pair in pairs {
                guard let key = pair.key.scalarValue, pair.key.isScalar else {
                    diagnostics.append(Diagnostic(at: pair.key.mark, keyPath: path, "keys must be strings"))
                    continue
                }
                check(pair.value, value, path: KeyPath.join(path, key))
            }
        case let .object(object):
            guard let pairs = node.mappingPairs else { return mismatch(node, shape, path) }
            for pair in pairs {
                guard let key = pair.key.scalarValue else {
                    diagnostics.append(Diagnostic(at: pair.key.mark, keyPath: path, "keys must be strings"))
                    continue
                }
                if let field = object.fields[key] {
                    check(pair.value, field, path: KeyPath.join(path, key))
                } else if object.extensions, key.hasPrefix("x-") {
                    continue
                } else {
                    let suggestion = Suggestion.closest(to: key, in: object.fields.keys)
                    diagnostics.append(Diagnostic(at: pair.key.mark, keyPath: path, "unknown key \"\(key)\"",
                                                  hint: suggestion.map { "did you mean \"\($0)\"?" }))
                }
            }
            for key in object.required where node[key] == nil {
                diagnostics.append(Diagnostic(at: node.mark, keyPath: path, "missing required key \"\(key)\""))
            }
        case let .either(shapes):
            let kind: Shape.Kind = node.isMapping ? .mapping : node.isSequence ? .sequence : .scalar
            if node.isNull, shapes.contains(where: { if case .nullable = $0 { true } else { false } }) { return }
            let candidates = shapes.filter { $0.kind == kind || $0.kind == nil }
            guard !candidates.isEmpty else { return mismatch(node, shape, path) }
            var last: [Diagnostic] = []
            for candidate in candidates {
                var trial = ShapeCheck()
                trial.check(node, candidate, path: path)
                if trial.diagnostics.isEmpty { return }
                last = trial.diagnostics
            }
            diagnostics += last
        }
    }

    private mutating func mismatch(_ node: Node, _ shape: Shape, _ path: String) {
        let found = node.isMapping || node.isSequence ? "not \(node.shapeDescription)" : "got \(node.shapeDescription)"
        diagnostics.append(Diagnostic(at: node.mark, keyPath: path, "must be \(shape.expectation), \(found)"))
    }

    private mutating func checkScalar(_ node: Node, _ rule: ScalarRule, path: String) {
        guard let text = node.scalarValue, let meaning = node.scalarMeaning else {
            return mismatch(node, .scalar(rule), path)
        }
        if meaning == .null { return mismatch(node, .scalar(rule), path) }
        func fail(_ message: String, hint: String? = nil) {
            diagnostics.append(Diagnostic(at: node.mark, keyPath: path, message, hint: hint))
        }
        switch rule {
        case .string:
            if meaning != .string {
                fail("must be a string, got \(meaning.description) \(text)", hint: "quote it: \"\(text)\"")
            }
        case .text:
            return
        case .integer:
            if ScalarText.integer(text) == nil { fail("must be an integer, got \"\(text)\"") }
        case .number:
            if ScalarText.integer(text) == nil, !ScalarText.isCoreFloat(text) { fail("must be a number, got \"\(text)\"") }
        case .boolean:
            if ScalarText.composeBool(text) == nil { fail("must be a boolean (true or false), got \"\(text)\"") }
        case .duration:
            if ComposeDuration(parsing: text) == nil {
                fail("invalid duration \"\(text)\"", hint: "use a number with a unit: 10ms, 40s, 1m30s, 1h")
            }
        case let .bytes(unlimited):
            if ScalarText.byteSize(text, allowUnlimited: unlimited) == nil {
                fail("invalid byte size \"\(text)\"", hint: "use bytes or a number with a unit: 100k, 512m, 1g")
            }
        case let .oneOf(values):
            if !values.contains(text) {
                let quoted = values.map { "\"\($0)\"" }
                let list = quoted.count > 1 ? quoted.dropLast().joined(separator: ", ") + " or " + quoted[quoted.count - 1] : quoted.joined()
                fail("invalid value \"\(text)\" (must be \(list))",
                     hint: Suggestion.closest(to: text, in: values).map { "did you mean \"\($0)\"?" })
            }
        case let .syntax(parse):
            if let error = parse(text) { fail(error.message) }
        }
    }
}
