import Diagnostics
import Testing
@testable import YAML

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random trees with tricky scalars, styles and tags.
struct TreeGenerator {
    var rng: SplitMix
    static let pieces: [String] = [
        "a", "b", "web", "0", "1", "80", ":", ": ", "#", " #", "-", "- ", "?", "? ", ",", "[", "]", "{", "}",
        "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", "~", ".", "...", "---", " ", "  ", "\n", "\n\n",
        "\t", "\\", "é", "✓", "😀", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{1}", "\u{7F}", "\u{FEFF}",
        "true", "null", "yes", "0x1F", "1e3", ".inf", "<<", "=", "$VAR", "${X:-y}",
    ]
    static let tags: [String?] = [nil, nil, nil, nil, "!reset", "!override", "tag:yaml.org,2002:str",
                                  "tag:example.com,2000:app/x"]
    static let styles: [ScalarStyle] = [.plain, .plain, .singleQuoted, .doubleQuoted, .literal, .folded]

    mutating func text() -> String {
        let n = Int.random(in: 0...5, using: &rng)
        return (0..<n).map { _ in Self.pieces.randomElement(using: &rng) ?? "" }.joined()
    }

    mutating func scalar() -> Node {
        .scalar(text(), style: Self.styles.randomElement(using: &rng) ?? .plain,
                tag: Self.tags.randomElement(using: &rng) ?? nil)
    }

    mutating func node(depth: Int) -> Node {
        let roll = Int.random(in: 0..<10, using: &rng)
        if depth == 0 || roll < 4 { return scalar() }
        let tag = Int.random(in: 0..<6, using: &rng) == 0 ? "!override" : nil
        if roll < 7 {
            let count = Int.random(in: 0...4, using: &rng)
            return .sequence((0..<count).map { _ in node(depth: depth - 1) }, tag: tag)
        }
        var pairs: [Node.Pair] = []
        var used: Set<String> = []
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            var key = scalar()
            // A plain `<<` key means "merge" when read back; the loader never
            // produces one, so neither does the generator.
            if key.scalarValue == "<<" && key.scalarStyle == .plain { key = .scalar("<<", style: .singleQuoted) }
            guard let text = key.scalarValue, used.insert(text).inserted else { continue }
            pairs.append(Node.Pair(key: key, value: node(depth: depth - 1)))
        }
        return .mapping(pairs, tag: tag)
    }
}

/// The tree the emitter promises to reproduce: styles as the emitter
/// writes them.
func expectedAfterRoundTrip(_ node: Node, isKey: Bool = false) -> Node {
    var copy = node
    switch node.kind {
    case let .scalar(text, style):
        copy.kind = .scalar(text, ScalarAnalysis.emittedStyle(for: text, requested: style, isKey: isKey))
    case let .sequence(items):
        copy.kind = .sequence(items.map { expectedAfterRoundTrip($0) })
    case let .mapping(pairs):
        copy.kind = .mapping(pairs.map {
            Node.Pair(key: expectedAfterRoundTrip($0.key, isKey: true), value: expectedAfterRoundTrip($0.value))
        })
    }
    return copy
}

@Suite struct EmitterTests {
    @Test func blockStyleKeysInOrder() throws {
        let node = try YAMLLoader.load("services:\n  web:\n    image: nginx\n    ports: ['80:80', 443]\n  db: {image: postgres}\n",
                                       file: "f.yaml")
        let text = try YAMLEmitter.emit(node)
        #expect(text == """
            services:
              web:
                image: nginx
                ports:
                - '80:80'
                - 443
              db:
                image: postgres

            """)
    }

    @Test func indentIsConfigurable() throws {
        let node = Node.mapping(["a": .mapping(["b": .scalar("1")])])
        #expect(try YAMLEmitter.emit(node, indent: 4) == "a:\n    b: 1\n")
    }

    struct ScalarCase: CustomStringConvertible, Sendable {
        var description: String
        var text: String
        var style: ScalarStyle
        var tag: String? = nil
        var yaml: String
    }

    @Test(arguments: [
        ScalarCase(description: "plain stays plain", text: "nginx:1.25", style: .plain, yaml: "v: nginx:1.25\n"),
        ScalarCase(description: "plain number stays plain", text: "8080", style: .plain, yaml: "v: 8080\n"),
        ScalarCase(description: "plain with ': ' is quoted", text: "a: b", style: .plain, yaml: "v: \"a: b\"\n"),
        ScalarCase(description: "plain with ' #' is quoted", text: "a #b", style: .plain, yaml: "v: \"a #b\"\n"),
        ScalarCase(description: "leading space is quoted", text: " x", style: .plain, yaml: "v: \" x\"\n"),
        ScalarCase(description: "indicator start is quoted", text: "*x", style: .plain, yaml: "v: \"*x\"\n"),
        ScalarCase(description: "single quotes kept", text: "80:80", style: .singleQuoted, yaml: "v: '80:80'\n"),
        ScalarCase(description: "double quotes kept", text: "x", style: .doubleQuoted, yaml: "v: \"x\"\n"),
        ScalarCase(description: "tab escaped", text: "a\tb", style: .singleQuoted, yaml: "v: \"a\\tb\"\n"),
        ScalarCase(description: "multi-line plain becomes literal", text: "echo a\necho b\n", style: .plain,
                   yaml: "v: |\n  echo a\n  echo b\n"),
        ScalarCase(description: "literal without final newline", text: "a\nb", style: .literal,
                   yaml: "v: |-\n  a\n  b\n"),
        ScalarCase(description: "trailing space forbids literal", text: "a \nb", style: .plain,
                   yaml: "v: \"a \\nb\"\n"),
        ScalarCase(description: "tag kept", text: "", style: .plain, tag: "!reset", yaml: "v: !reset\n"),
        ScalarCase(description: "core tag shortened", text: "1", style: .plain, tag: "tag:yaml.org,2002:str",
                   yaml: "v: !!str 1\n"),
        ScalarCase(description: "empty plain is null", text: "", style: .plain, yaml: "v:\n"),
        ScalarCase(description: "unicode kept", text: "héllo ✓", style: .plain, yaml: "v: héllo ✓\n"),
        // Found by the fuzzer: "..." then a combining mark is one Character
        // to Swift but still starts with a document end marker.
        ScalarCase(description: "document end marker with combining mark", text: "...\u{65A}x", style: .plain,
                   yaml: "v: \"...\u{65A}x\"\n"),
    ])
    func scalarStyles(_ c: ScalarCase) throws {
        let node = Node.mapping([Node.Pair(key: .scalar("v"), value: .scalar(c.text, style: c.style, tag: c.tag))])
        let yaml = try YAMLEmitter.emit(node)
        #expect(yaml == c.yaml)
        let back = try YAMLLoader.load(yaml, file: "f.yaml")
        #expect(back["v"]?.scalarValue == c.text)
    }

    @Test func emptyCollectionsAndTaggedCollections() throws {
        let node = Node.mapping([
            "a": .sequence([]),
            "b": .mapping([]),
            "c": .sequence([.scalar("x")], tag: "!override"),
        ])
        let yaml = try YAMLEmitter.emit(node)
        #expect(yaml == "a: []\nb: {}\nc: !override\n- x\n")
        #expect(try YAMLLoader.load(yaml, file: "f").isStructurallyEqual(to: node))
    }

    @Test func roundTripOverGeneratedTrees() throws {
        var generator = TreeGenerator(rng: SplitMix(state: 0xBE27))
        for i in 0..<2000 {
            let tree = generator.node(depth: 4)
            let yaml = try YAMLEmitter.emit(tree)
            let back: Node
            do {
                back = try YAMLLoader.load(yaml, file: "gen.yaml")
            } catch {
                Issue.record("tree \(i) does not load back: \(error)\n\(yaml)\n\(tree)")
                continue
            }
            let expected = expectedAfterRoundTrip(tree)
            if !back.isStructurallyEqual(to: expected) {
                Issue.record("tree \(i) differs after round trip:\n\(yaml)\nexpected \(expected.strippingMarks())\ngot \(back.strippingMarks())")
            }
        }
    }

    @Test func roundTripOfLoadedDocumentsIsStable() throws {
        let text = """
            x-base: &base
              restart: always
              environment:
                A: "1"
                B: 'two'
            services:
              web:
                <<: *base
                command: ["sh", "-c", "echo hi: there"]
                healthcheck:
                  test: |
                    curl -f http://localhost/ || exit 1
              db: !override
                image: postgres
            """
        let node = try YAMLLoader.load(text, file: "f.yaml")
        let once = try YAMLEmitter.emit(node)
        let again = try YAMLEmitter.emit(try YAMLLoader.load(once, file: "f.yaml"))
        #expect(once == again)
        #expect(try YAMLLoader.load(once, file: "f.yaml").isStructurallyEqual(to: node))
    }
}
