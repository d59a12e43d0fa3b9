import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct InterpolationTests {
    static let env: [String: String] = ["A": "alpha", "EMPTY": "", "B": "beta", "N": "3"]

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var expected: String
        var unset: [String] = []
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain text", input: "hello", expected: "hello"),
        Case(name: "$V", input: "x-$A-y", expected: "x-alpha-y"),
        Case(name: "${V}", input: "${A}", expected: "alpha"),
        Case(name: "name stops at non-name char", input: "$A.b", expected: "alpha.b"),
        Case(name: "unset $V is blank with a warning", input: "[$NOPE]", expected: "[]", unset: ["NOPE"]),
        Case(name: "unset ${V} is blank with a warning", input: "${NOPE}", expected: "", unset: ["NOPE"]),
        Case(name: ":- default when unset", input: "${NOPE:-d}", expected: "d"),
        Case(name: ":- default when empty", input: "${EMPTY:-d}", expected: "d"),
        Case(name: ":- value when set", input: "${A:-d}", expected: "alpha"),
        Case(name: "- default when unset", input: "${NOPE-d}", expected: "d"),
        Case(name: "- keeps empty", input: "${EMPTY-d}", expected: ""),
        Case(name: ":+ replacement when set", input: "${A:+r}", expected: "r"),
        Case(name: ":+ nothing when empty", input: "${EMPTY:+r}", expected: ""),
        Case(name: "+ replacement when empty but set", input: "${EMPTY+r}", expected: "r"),
        Case(name: "+ nothing when unset", input: "${NOPE+r}", expected: ""),
        Case(name: ":? value when set", input: "${A:?must}", expected: "alpha"),
        Case(name: "? empty is fine", input: "${EMPTY?must}", expected: ""),
        Case(name: "nested default", input: "${NOPE:-${B:-x}}", expected: "beta"),
        Case(name: "doubly nested default", input: "${NOPE:-${NOPE2:-x}}", expected: "x"),
        Case(name: "default with $V", input: "${NOPE:-$A/x}", expected: "alpha/x"),
        Case(name: "default not evaluated when unused", input: "${A:-${NOPE:?boom}}", expected: "alpha"),
        Case(name: "$$ is a literal $", input: "$$A and $${B}", expected: "$A and ${B}"),
        Case(name: "lone $ kept", input: "cost: 5$ or $1 or $", expected: "cost: 5$ or $1 or $"),
        Case(name: "default may contain colons and spaces", input: "${NOPE:-a:b c}", expected: "a:b c"),
        Case(name: "underscore names", input: "${_X_1:-u}$N", expected: "u3"),
        Case(name: "lowercase names", input: "${lower:-l}", expected: "l"),
    ]

    @Test(arguments: cases)
    func substitutes(_ c: Case) throws {
        let out = try Interpolation.substitute(c.input) { Self.env[$0] }
        #expect(out.text == c.expected)
        #expect(out.unset == c.unset)
    }

    struct FailureCase: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var offset: Int
        var message: String
        var testDescription: String { name }
    }

    static let failures: [FailureCase] = [
        FailureCase(name: ":? when unset", input: "img:${NOPE:?set NOPE}", offset: 4,
                    message: "required variable \"NOPE\" is missing a value: set NOPE"),
        FailureCase(name: ":? when empty", input: "${EMPTY:?}", offset: 0,
                    message: "required variable \"EMPTY\" is missing a value"),
        FailureCase(name: "? when unset, message interpolated", input: "${NOPE?need $A}", offset: 0,
                    message: "required variable \"NOPE\" is missing a value: need alpha"),
        FailureCase(name: "nested required in used default", input: "x ${NOPE:-${NOPE2:?inner}}", offset: 10,
                    message: "required variable \"NOPE2\" is missing a value: inner"),
        FailureCase(name: "unclosed brace", input: "a ${A", offset: 2, message: "invalid interpolation format \"${A\""),
        FailureCase(name: "empty braces", input: "${}", offset: 0, message: "invalid interpolation format \"${}\""),
        FailureCase(name: "unsupported operator", input: "${A/x/y}", offset: 0,
                    message: "invalid interpolation format \"${A/x/y}\""),
        FailureCase(name: "name starting with digit", input: "${1A}", offset: 0,
                    message: "invalid interpolation format \"${1A}\""),
        FailureCase(name: "colon without operator", input: "${A:x}", offset: 0,
                    message: "invalid interpolation format \"${A:x}\""),
    ]

    @Test(arguments: failures)
    func fails(_ c: FailureCase) {
        #expect {
            _ = try Interpolation.substitute(c.input) { Self.env[$0] }
        } throws: { error in
            guard let f = error as? Interpolation.Failure else { return false }
            return f.offset == c.offset && f.message == c.message
        }
    }

    @Test func appliesToValuesNotKeys() {
        let tree = Node.mapping([
            "services": .mapping([
                "$A": .mapping([
                    "image": .scalar("img:${A}", style: .doubleQuoted),
                    "labels": .sequence([.scalar("$B=x")]),
                ]),
            ]),
        ])
        let (out, diags) = Interpolation.apply(to: tree) { Self.env[$0] }
        #expect(diags.isEmpty)
        #expect(out["services"]?["$A"]?["image"]?.scalarValue == "img:alpha")
        #expect(out["services"]?["$A"]?["image"]?.scalarStyle == .doubleQuoted)
        #expect(out["services"]?["$A"]?["labels"]?.sequenceItems?.first?.scalarValue == "beta=x")
    }

    @Test func blankSubstitutionStaysAString() throws {
        let tree = try YAMLLoader.load("a: ${NOPE}\nb: ${A}\nc: ''\n", file: "c.yaml")
        let (out, _) = Interpolation.apply(to: tree) { Self.env[$0] }
        #expect(out["a"]?.isNull == false)
        #expect(out["a"]?.scalarValue == "")
        #expect(out["b"]?.scalarStyle == .plain)
    }

    @Test func errorsAtTheDollarWithKeyPath() throws {
        let yaml = """
        services:
          web:
            image: nginx:${TAG:?tag required}
            ports:
              - "${BAD"
        """
        let tree = try YAMLLoader.load(yaml, file: "compose.yaml")
        let (_, diags) = Interpolation.apply(to: tree) { Self.env[$0] }
        let rendered = diags.sortedByPosition().map(\.description)
        #expect(rendered == [
            "compose.yaml:3:18: services.web.image: required variable \"TAG\" is missing a value: tag required",
            "compose.yaml:5:9: services.web.ports[0]: invalid interpolation format \"${BAD\" (write a literal $ as $$)",
        ])
    }

    @Test func unsetVariableWarnsOnceWithPosition() throws {
        let yaml = """
        services:
          web:
            image: "$MISSING"
            command: echo $MISSING
        """
        let tree = try YAMLLoader.load(yaml, file: "c.yaml")
        let (_, diags) = Interpolation.apply(to: tree) { Self.env[$0] }
        #expect(diags.map(\.description) == [
            "c.yaml:3:12: services.web.image: The \"MISSING\" variable is not set. Defaulting to a blank string.",
        ])
        #expect(diags.first?.severity == .warning)
    }

    /// A document for `applyToDocument`: `count` services, each with the
    /// values `value(i)` gives, between top-level keys before and after.
    static func document(services count: Int, before: String, after: String,
                         value: (Int) -> String) throws -> Node {
        var yaml = "x-before: \"\(before)\"\nservices:\n"
        for i in 0..<count {
            yaml += "  s\(i):\n    image: \"\(value(i))\"\n    labels: [\"l=\(value(i))\", plain]\n"
        }
        yaml += "x-after: \"\(after)\"\n"
        return try YAMLLoader.load(yaml, file: "big.yaml")
    }

    struct SplitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var services: Int
        var before: String
        var after: String
        /// The image of service i: unset variables, errors, set ones.
        var value: @Sendable (Int) -> String
        var testDescription: String { name }
    }

    static let splitCases: [SplitCase] = [
        SplitCase(name: "below the threshold: one walk", services: 10, before: "$U1", after: "$U2",
                  value: { "img-$U1-${U\($0 % 3)}" }),
        SplitCase(name: "nothing to substitute", services: 80, before: "a", after: "b", value: { "img-\($0)" }),
        SplitCase(name: "set variables only", services: 80, before: "$A", after: "${B}", value: { "img-$A-\($0)" }),
        SplitCase(name: "unset in the second half only, again after", services: 80, before: "x", after: "$LATE",
                  value: { $0 >= 60 ? "img-$LATE-$TAILONLY" : "img" }),
        SplitCase(name: "unset before, in both halves and after", services: 90, before: "$EVERY",
                  after: "$EVERY $HEAD $TAIL $AFTER",
                  value: { $0 < 45 ? "img-$EVERY-$HEAD" : "img-$EVERY-$TAIL-$HEAD" }),
        SplitCase(name: "errors in both halves", services: 70, before: "${BAD", after: "${X:?need X}",
                  value: { $0 % 20 == 0 ? "img-${BROKEN" : "img-$U\($0 % 4)" }),
        SplitCase(name: "unset variables used in both halves", services: 64, before: "", after: "",
                  value: { $0 == 63 ? "$ONLY" : ($0 == 0 ? "x" : "$V\($0 % 2)") }),
    ]

    /// Splitting a long `services` mapping across two threads gives the
    /// one-walk result: the same tree and the same diagnostics in the same
    /// order (each unset variable reported at its first use only).
    @Test(arguments: splitCases)
    func documentInHalvesMatchesOneWalk(_ c: SplitCase) throws {
        let doc = try Self.document(services: c.services, before: c.before, after: c.after, value: c.value)
        let env = Self.env
        let (one, oneDiags) = Interpolation.apply(to: doc) { env[$0] }
        let (split, splitDiags) = Interpolation.applyToDocument(doc) { env[$0] }
        #expect(split == one)
        #expect(splitDiags.map(\.description) == oneDiags.map(\.description))
        #expect(splitDiags.map(\.severity) == oneDiags.map(\.severity))
    }
}
