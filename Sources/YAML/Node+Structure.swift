import Diagnostics

extension Node {
    /// True when both trees have the same kinds, scalar texts (byte for
    /// byte) and styles,
    /// tags, and key order, ignoring marks.
    public func isStructurallyEqual(to other: Node) -> Bool {
        guard tag == other.tag else { return false }
        switch (kind, other.kind) {
        case let (.scalar(a, sa), .scalar(b, sb)):
            // Byte-exact: String's == treats canonically equivalent
            // texts (é vs e + U+0301) as equal, YAML does not.
            return sa == sb && a.utf8.elementsEqual(b.utf8)
        case let (.sequence(a), .sequence(b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy { $0.isStructurallyEqual(to: $1) }
        case let (.mapping(a), .mapping(b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy {
                $0.key.isStructurallyEqual(to: $1.key) && $0.value.isStructurallyEqual(to: $1.value)
            }
        default:
            return false
        }
    }

    /// A copy with every mark replaced by one synthetic mark, so that
    /// `==` and hashing compare structure only.
    public func strippingMarks() -> Node {
        let none = Mark.synthetic("")
        switch kind {
        case .scalar:
            return Node(kind, tag: tag, mark: none)
        case let .sequence(items):
            return Node(.sequence(items.map { $0.strippingMarks() }), tag: tag, mark: none)
        case let .mapping(pairs):
            return Node(.mapping(pairs.map {
                Pair(key: $0.key.strippingMarks(), value: $0.value.strippingMarks())
            }), tag: tag, mark: none)
        }
    }
}
