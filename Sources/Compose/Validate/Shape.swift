/// What a scalar must contain.
enum ScalarRule: Sendable {
    /// A string; a plain number is taken as its text (and quoted by the
    /// normalizer), a plain boolean is rejected (`hostname: true`).
    case string
    /// Any non-null scalar: string, number or boolean (label values, `version`).
    case text
    /// An integer; quoted digits are accepted as docker compose converts them.
    case integer
    /// Any number (`cpus: 0.5`).
    case number
    /// A boolean, with YAML 1.1's yes/no/on/off accepted as docker compose does.
    case boolean
    /// A duration such as `1m30s`.
    case duration
    /// A byte size such as `512m`; `unlimited` also allows `-1`.
    case bytes(unlimited: Bool)
    /// One of a fixed set of strings.
    case oneOf([String])
    /// A string checked by a parser that explains what is wrong.
    case syntax(@Sendable (String) -> SyntaxError?)

    var expectation: String {
        switch self {
        case .string, .syntax: "a string"
        case .text: "a string or number"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "a boolean"
        case .duration: "a duration"
        case .bytes: "a byte size"
        case .oneOf: "a string"
        }
    }
}

/// A closed mapping: known keys, optionally `x-` extensions, required keys.
/// A class, so that matching `.object` in a walk retains one reference.
final class ObjectShape: Sendable {
    let fields: [String: Shape]
    let extensions: Bool
    let required: [String]
    /// `fields`, for the walks' lookups of every key of a tree.
    let fieldTable: KeyTable<Shape>
    /// The fields whose values may hold scalars the normalizer rewrites
    /// (booleans, integers, durations, sizes): the only ones it visits.
    let canonicalFields: KeyTable<Shape>

    init(_ fields: [String: Shape], extensions: Bool = true, required: [String] = []) {
        self.fields = fields
        self.extensions = extensions
        self.required = required
        self.fieldTable = KeyTable(fields)
        self.canonicalFields = KeyTable(fields.filter { $0.value.hasCanonicalScalars })
    }
}

/// Our own description of the Compose Specification's JSON schema: what
/// each key must hold. The validator walks a tree against it.
indirect enum Shape: Sendable {
    case scalar(ScalarRule)
    case list(Shape)
    case object(ObjectShape)
    /// A mapping with free keys (service names, labels); values of one shape.
    case dictionary(Shape)
    /// Alternatives chosen by the node's kind (scalar, list or mapping).
    case either([Shape])
    /// Like the wrapped shape, but null is accepted too.
    case nullable(Shape)
    case any

    var expectation: String {
        switch self {
        case let .scalar(rule): rule.expectation
        case .list: "a list"
        case .object, .dictionary: "a mapping"
        case let .either(shapes): shapes.map(\.expectation).joined(separator: " or ")
        case let .nullable(shape): shape.expectation
        case .any: "a value"
        }
    }

    enum Kind { case scalar, sequence, mapping }

    /// Whether some scalar below has a canonical spelling (see `Canonicalizer`).
    var hasCanonicalScalars: Bool {
        switch self {
        case let .scalar(rule):
            switch rule {
            case .boolean, .integer, .number, .duration, .bytes, .string: true
            default: false
            }
        case let .list(item): item.hasCanonicalScalars
        case let .object(object): !object.canonicalFields.isEmpty
        case let .dictionary(value): value.hasCanonicalScalars
        case let .either(shapes): shapes.contains { $0.hasCanonicalScalars }
        case let .nullable(shape): shape.hasCanonicalScalars
        case .any: false
        }
    }

    /// Which node kind this shape accepts (nil: several or any).
    var kind: Kind? {
        switch self {
        case .scalar: .scalar
        case .list: .sequence
        case .object, .dictionary: .mapping
        case let .nullable(s): s.kind
        case .either, .any: nil
        }
    }

    static func object(_ fields: [String: Shape], extensions: Bool = true, required: [String] = []) -> Shape {
        .object(ObjectShape(fields, extensions: extensions, required: required))
    }

    static let string = Shape.scalar(.string)
    static let text = Shape.scalar(.text)
    static let integer = Shape.scalar(.integer)
    static let number = Shape.scalar(.number)
    static let boolean = Shape.scalar(.boolean)
    static let duration = Shape.scalar(.duration)
    static let bytes = Shape.scalar(.bytes(unlimited: false))
    static let strings = Shape.list(.string)
    static let stringOrList = Shape.either([.string, .strings])
    /// `list_or_dict`: `["A=1"]` or `{A: 1}` (values string, number, bool or null).
    static let listOrDict = Shape.either([.dictionary(.nullable(.text)), .list(.text)])
    static let openMapping = Shape.dictionary(.any)
    static func enumeration(_ values: [String]) -> Shape { .scalar(.oneOf(values)) }
    static func syntax(_ check: @escaping @Sendable (String) -> SyntaxError?) -> Shape { .scalar(.syntax(check)) }
}
