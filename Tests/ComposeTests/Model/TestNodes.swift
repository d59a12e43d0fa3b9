import Diagnostics
import YAML
@testable import Compose

// Literal syntax for building trees in tests:
// `let s: Node = ["image": "nginx", "ports": ["8080:80"]]`.
extension Node: ExpressibleByStringLiteral,
    ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .scalar(value) }
    public init(arrayLiteral elements: Node...) { self = .sequence(elements) }
    public init(dictionaryLiteral elements: (String, Node)...) {
        self = .mapping(elements.map { Node.Pair(key: .scalar($0.0), value: $0.1) })
    }
}

/// A quoted string scalar.
func quoted(_ s: String) -> Node { .scalar(s, style: .doubleQuoted) }

/// A compact flow rendering for assertions: `{a: 1, b: [x, "8080"]}`;
/// quoted scalars keep their quotes so "string vs number" is visible.
func render(_ node: Node) -> String {
    switch node.kind {
    case let .scalar(text, style):
        return style == .plain ? (text.isEmpty ? "null" : text) : "\"\(text)\""
    case let .sequence(items):
        return "[" + items.map(render).joined(separator: ", ") + "]"
    case let .mapping(pairs):
        return "{" + pairs.map { "\(render($0.key)): \(render($0.value))" }.joined(separator: ", ") + "}"
    }
}

let testContext = NormalizeContext(workingDirectory: "/proj", homeDirectory: "/home/u",
                                   environment: ["FROM_ENV": "yes please", "PORT": "80"])

/// Normalizes a project holding one service `s` and returns that service.
func normalizeService(_ service: Node, context: NormalizeContext = testContext) -> (Node, [Diagnostic]) {
    let root: Node = ["name": "p", "services": ["s": service]]
    let (out, diagnostics) = Normalizer.normalize(root, context: context)
    return (out["services"]?["s"] ?? out, diagnostics)
}
