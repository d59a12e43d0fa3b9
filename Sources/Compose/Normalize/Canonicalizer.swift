import YAML

/// Rewrites typed scalars to one spelling, guided by the schema:
/// booleans `true`/`false`, integers in decimal, durations in Go's form
/// (`1m30s`), byte sizes in bytes, numbers in string fields quoted. Values that don't parse are left alone
/// (the validator reports them).
enum Canonicalizer {
    static func canonicalize(_ node: Node, _ shape: Shape) -> Node {
        rewritten(node, shape) ?? node
    }

    static func apply(_ node: inout Node, _ shape: Shape) {
        if let new = rewritten(node, shape) { node = new }
    }

    /// The node with canonical scalars, or nil when nothing changes (so
    /// unchanged subtrees are shared, never copied).
    static func rewritten(_ node: Node, _ shape: Shape) -> Node? {
        switch shape {
        case .any:
            return nil
        case let .nullable(inner):
            return node.isNull ? nil : rewritten(node, inner)
        case let .scalar(rule):
            return scalar(node, rule)
        case let .list(item):
            guard case let .sequence(items) = node.kind else { return nil }
            var out: [Node]? = nil
            for i in items.indices {
                guard let new = rewritten(items[i], item) else { continue }
                if out == nil { out = items }
                out?[i] = new
            }
            guard let out else { return nil }
            var copy = node
            copy.kind = .sequence(out)
            return copy
        case let .dictionary(value):
            return mapValues(node) { _ in value }
        case let .object(object):
            if object.canonicalFields.isEmpty { return nil }
            return mapValues(node) { object.canonicalFields[$0] }
        case let .either(shapes):
            return ShapeCheck.choose(node, shapes).flatMap { rewritten(node, $0) }
        }
    }

    private static func mapValues(_ node: Node, _ shapeFor: (String) -> Shape?) -> Node? {
        guard case let .mapping(pairs) = node.kind else { return nil }
        var out: [Node.Pair]? = nil
        for i in pairs.indices {
            guard let key = pairs[i].key.scalarValue, let shape = shapeFor(key),
                  let new = rewritten(pairs[i].value, shape) else { continue }
            if out == nil { out = pairs }
            out?[i].value = new
        }
        guard let out else { return nil }
        var copy = node
        copy.kind = .mapping(out)
        return copy
    }

    private static func scalar(_ node: Node, _ rule: ScalarRule) -> Node? {
        guard let text = node.scalarValue, !node.isNull else { return nil }
        if case .string = rule {
            // `user: 1000` → `user: "1000"`: a string field holds a string.
            switch node.scalarMeaning {
            case .int?, .float?: return Node(.scalar(text, .doubleQuoted), tag: nil, mark: node.mark)
            default: return nil
            }
        }
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
        guard let canonical, canonical != text || node.scalarStyle != .plain || node.tag != nil else { return nil }
        return Node(.scalar(canonical, .plain), tag: nil, mark: node.mark)
    }
}
