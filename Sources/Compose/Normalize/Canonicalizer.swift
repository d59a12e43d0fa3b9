import YAML

/// Rewrites typed scalars to one spelling, guided by the schema:
/// booleans `true`/`false`, integers in decimal, durations in Go's form
/// (`1m30s`), byte sizes in bytes. Values that don't parse are left alone
/// (the validator reports them).
enum Canonicalizer {
    static func canonicalize(_ node: Node, _ shape: Shape) -> Node {
        switch shape {
        case .any:
            return node
        case let .nullable(inner):
            return node.isNull ? node : canonicalize(node, inner)
        case let .scalar(rule):
            return scalar(node, rule)
        case let .list(item):
            guard let items = node.sequenceItems else { return node }
            var out = node
            out.kind = .sequence(items.map { canonicalize($0, item) })
            return out
        case let .dictionary(value):
            return mapValues(node) { _ in value }
        case let .object(object):
            return mapValues(node) { object.fields[$0] }
        case let .either(shapes):
            let kind: Shape.Kind = node.isMapping ? .mapping : node.isSequence ? .sequence : .scalar
            let candidates = shapes.filter { $0.kind == kind || $0.kind == nil }
            for candidate in candidates {
                var trial = ShapeCheck()
                trial.check(node, candidate, path: "")
                if trial.diagnostics.isEmpty { return canonicalize(node, candidate) }
            }
            return node
        }
    }

    private static func mapValues(_ node: Node, _ shapeFor: (String) -> Shape?) -> Node {
        guard let pairs = node.mappingPairs else { return node }
        var out = node
        out.kind = .mapping(pairs.map { pair in
            guard let key = pair.key.scalarValue, let shape = shapeFor(key) else { return pair }
            var p = pair
            p.value = canonicalize(pair.value, shape)
            return p
        })
        return out
    }

    private static func scalar(_ node: Node, _ rule: ScalarRule) -> Node {
        guard let text = node.scalarValue, !node.isNull else { return node }
        let canonical: String?
        switch rule {
        case .boolean: canonical = ScalarText.composeBool(text).map { $0 ? "true" : "false" }
        case .integer: canonical = ScalarText.integer(text).map { String($0) }
        case .duration: canonical = ComposeDuration(parsing: text).map(\.description)
        case let .bytes(unlimited): canonical = ScalarText.byteSize(text, allowUnlimited: unlimited).map { String($0) }
        case .number:
            canonical = node.scalarStyle == .plain ? nil : (ScalarText.integer(text).map { String($0) } ?? text)
        default: canonical = nil
        }
        guard let canonical else { return node }
        return Node(.scalar(canonical, .plain), tag: nil, mark: node.mark)
    }
}
