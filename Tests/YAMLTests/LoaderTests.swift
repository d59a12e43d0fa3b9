import Diagnostics
import Testing
import YAML

/// Loads `text` from "f.yaml" and returns the single error it must raise.
private func loadError(_ text: String, limits: YAMLLimits = .default) -> Diagnostic? {
    loadError(bytes: Array(text.utf8), limits: limits)
}

private func loadError(bytes: [UInt8], limits: YAMLLimits = .default) -> Diagnostic? {
    do {
        _ = try YAMLLoader.load(bytes: bytes, file: "f.yaml", limits: limits)
        return nil
    } catch let error as DiagnosticsError {
        return error.diagnostics.first
    } catch {
        return nil
    }
}

private func load(_ text: String) throws -> Node {
    try YAMLLoader.load(text, file: "f.yaml")
}

/// The tree as a compact string: scalars as their text, `[a, b]`, `{k: v}`.
private func shape(_ node: Node) -> String {
    switch node.kind {
    case let .scalar(v, _): return (node.tag.map { $0 + " " } ?? "") + v
    case let .sequence(items): return "[" + items.map(shape).joined(separator: ", ") + "]"
    case let .mapping(pairs):
        return "{" + pairs.map { shape($0.key) + ": " + shape($0.value) }.joined(separator: ", ") + "}"
    }
}

@Suite struct LoaderBasicsTests {
    @Test func marksAreOneBasedStartsOfNodes() throws {
        let root = try load("services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443]\n")
        #expect(root.mark == Mark(file: "f.yaml", line: 1, column: 1))
        let web = try #require(root["services"]?["web"])
        #expect(web.mark == Mark(file: "f.yaml", line: 3, column: 5))
        #expect(web["image"]?.mark == Mark(file: "f.yaml", line: 3, column: 12))
        let ports = try #require(web["ports"]?.sequenceItems)
        #expect(ports[0].mark == Mark(file: "f.yaml", line: 4, column: 13))
        #expect(ports[1].mark == Mark(file: "f.yaml", line: 4, column: 22))
        let keyMarks = try #require(web.mappingPairs).map(\.key.mark.line)
        #expect(keyMarks == [3, 4])
    }

    @Test func keyOrderIsKept() throws {
        let root = try load("z: 1\na: 2\nm: 3\nb: 4\n")
        #expect(root.mappingKeys == ["z", "a", "m", "b"])
    }

    struct StyleCase: CustomStringConvertible, Sendable {
        var description: String
        var text: String
        var value: String
        var style: ScalarStyle
    }

    @Test(arguments: [
        StyleCase(description: "plain", text: "v: 80:80", value: "80:80", style: .plain),
        StyleCase(description: "single", text: "v: '80:80'", value: "80:80", style: .singleQuoted),
        StyleCase(description: "double with escape", text: "v: \"a\\tb\"", value: "a\tb", style: .doubleQuoted),
        StyleCase(description: "literal", text: "v: |\n  a\n  b\n", value: "a\nb\n", style: .literal),
        StyleCase(description: "folded", text: "v: >-\n  a\n  b\n", value: "a b", style: .folded),
        StyleCase(description: "unicode", text: "v: héllo ✓", value: "héllo ✓", style: .plain),
    ])
    func scalarStyles(_ c: StyleCase) throws {
        let v = try #require(try load(c.text)["v"])
        #expect(v.scalarValue == c.value)
        #expect(v.scalarStyle == c.style)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try load("é: ✓✓\nk: [ä, b]\n")
        #expect(root["é"]?.mark.column == 4)
        #expect(root["k"]?.sequenceItems?[1].mark.column == 8)
    }

    struct TagCase: CustomStringConvertible, Sendable {
        var description: String
        var text: String
        var tag: String?
    }

    @Test(arguments: [
        TagCase(description: "no tag", text: "v: x", tag: nil),
        TagCase(description: "local reset", text: "v: !reset []", tag: "!reset"),
        TagCase(description: "local override", text: "v: !override {a: 1}", tag: "!override"),
        TagCase(description: "core str", text: "v: !!str 80", tag: "tag:yaml.org,2002:str"),
        TagCase(description: "core int", text: "v: !!int '8'", tag: "tag:yaml.org,2002:int"),
        TagCase(description: "verbatim", text: "v: !<tag:example.com,2000:x> y", tag: "tag:example.com,2000:x"),
        TagCase(description: "reset null", text: "v: !reset", tag: "!reset"),
    ])
    func tagsAreKept(_ c: TagCase) throws {
        let v = try #require(try load(c.text)["v"])
        #expect(v.tag == c.tag)
    }

    @Test func emptyDocumentIsNullAtOneOne() throws {
        for text in ["", "# only a comment\n", "\n\n"] {
            let node = try load(text)
            #expect(node.isNull)
            #expect(node.mark == Mark(file: "f.yaml", line: 1, column: 1))
        }
    }

    @Test func utf8ByteOrderMarkIsAccepted() throws {
        let node = try YAMLLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("a: 1\n".utf8), file: "f.yaml")
        #expect(node["a"]?.scalarValue == "1")
    }

    @Test func crlfLineEndings() throws {
        let root = try load("a: 1\r\nb:\r\n  - x\r\n")
        #expect(root["b"]?.sequenceItems?.first?.mark == Mark(file: "f.yaml", line: 3, column: 5))
    }
}

@Suite struct LoaderAliasTests {
    @Test func aliasYieldsCopyOfAnchoredNode() throws {
        let root = try load("base: &b {x: 1, y: [2, 3]}\ncopy: *b\n")
        let base = try #require(root["base"])
        let copy = try #require(root["copy"])
        #expect(copy.isStructurallyEqual(to: base))
        // The copy starts where the alias was written; its contents keep
        // the anchored definition's marks.
        #expect(copy.mark == Mark(file: "f.yaml", line: 2, column: 7))
        #expect(copy["x"]?.mark == base["x"]?.mark)
    }

    @Test func scalarAnchor() throws {
        let root = try load("a: &v hello\nb: [*v, *v]\n")
        #expect(shape(root) == "{a: hello, b: [hello, hello]}")
    }

    @Test func laterAnchorWithSameNameWins() throws {
        let root = try load("a: &v 1\nb: *v\nc: &v 2\nd: *v\n")
        #expect(shape(root) == "{a: 1, b: 1, c: 2, d: 2}")
    }

    @Test func unknownAnchorIsReportedAtAlias() {
        let d = loadError("x: &a 1\ny: *b\n")
        #expect(d?.mark == Mark(file: "f.yaml", line: 2, column: 4))
        #expect(d?.message.contains("unknown anchor \"b\"") == true)
    }

    @Test func recursiveAliasIsRejected() {
        let d = loadError("a: &a [1, *a]\n")
        #expect(d?.mark == Mark(file: "f.yaml", line: 1, column: 11))
        #expect(d?.message.contains("recursive") == true)
    }
}

@Suite struct LoaderMergeTests {
    struct MergeCase: CustomStringConvertible, Sendable {
        var description: String
        var text: String
        var expected: String
    }

    @Test(arguments: [
        MergeCase(description: "single map merged in place of <<",
                  text: "a: &a {x: 1, y: 2}\nm:\n  k: 0\n  <<: *a\n  z: 3\n",
                  expected: "{k: 0, x: 1, y: 2, z: 3}"),
        MergeCase(description: "explicit keys win over merged (written after)",
                  text: "a: &a {x: 1, y: 2}\nm:\n  <<: *a\n  x: 9\n",
                  expected: "{y: 2, x: 9}"),
        MergeCase(description: "explicit keys win over merged (written before)",
                  text: "a: &a {x: 1, y: 2}\nm:\n  x: 9\n  <<: *a\n",
                  expected: "{x: 9, y: 2}"),
        MergeCase(description: "earlier maps in a list win",
                  text: "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*a, *b]\n",
                  expected: "{x: 1, y: 2}"),
        MergeCase(description: "list order reversed",
                  text: "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*b, *a]\n",
                  expected: "{x: 2, y: 2}"),
        MergeCase(description: "inline map",
                  text: "m:\n  <<: {x: 1}\n  y: 2\n",
                  expected: "{x: 1, y: 2}"),
        MergeCase(description: "nested merge resolved in anchor",
                  text: "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nm:\n  <<: *b\n  z: 3\n",
                  expected: "{x: 1, y: 2, z: 3}"),
        MergeCase(description: "quoted << is a plain key",
                  text: "m:\n  \"<<\": {x: 1}\n",
                  expected: "{<<: {x: 1}}"),
        MergeCase(description: "values are not deep-merged",
                  text: "a: &a {env: {A: 1}}\nm:\n  <<: *a\n  env: {B: 2}\n",
                  expected: "{env: {B: 2}}"),
    ])
    func mergeOrder(_ c: MergeCase) throws {
        let root = try load(c.text)
        #expect(shape(try #require(root["m"])) == c.expected)
    }

    @Test func mergingAScalarIsAnErrorAtTheAlias() {
        let d = loadError("a: &a 1\nm:\n  <<: *a\n")
        #expect(d?.mark == Mark(file: "f.yaml", line: 3, column: 7))
        #expect(d?.message.contains("cannot merge") == true)
    }

    @Test func mergingASequenceItemThatIsNotAMap() {
        let d = loadError("a: &a {x: 1}\nm:\n  <<: [*a, [1]]\n")
        #expect(d?.mark == Mark(file: "f.yaml", line: 3, column: 12))
        #expect(d?.message.contains("cannot merge a sequence") == true)
    }
}

@Suite struct LoaderErrorTests {
    struct ErrorCase: CustomStringConvertible, Sendable {
        var description: String
        var text: String
        var line: Int
        var column: Int
        var message: String
    }

    @Test(arguments: [
        ErrorCase(description: "duplicate key", text: "a: 1\nb: 2\na: 3\n", line: 3, column: 1,
                  message: "key \"a\" already defined at f.yaml:1:1"),
        ErrorCase(description: "duplicate nested key", text: "s:\n  web:\n    image: a\n    image: b\n",
                  line: 4, column: 5, message: "key \"image\" already defined at f.yaml:3:5"),
        ErrorCase(description: "duplicate flow key", text: "{a: 1, a: 2}", line: 1, column: 8,
                  message: "key \"a\" already defined at f.yaml:1:2"),
        ErrorCase(description: "duplicate merge key", text: "a: &a {x: 1}\nm:\n  <<: *a\n  <<: *a\n",
                  line: 4, column: 3, message: "key \"<<\" already defined at f.yaml:3:3"),
        ErrorCase(description: "second document", text: "a: 1\n---\nb: 2\n", line: 2, column: 1,
                  message: "multiple YAML documents are not supported"),
        ErrorCase(description: "second document after explicit start", text: "---\na: 1\n--- \nb: 2\n",
                  line: 3, column: 1, message: "multiple YAML documents are not supported"),
        ErrorCase(description: "content after the document", text: "{a: 1}}\n", line: 1, column: 7,
                  message: "unexpected content after the end of the document"),
        ErrorCase(description: "tab indentation", text: "a:\n\tb: 1\n", line: 2, column: 1,
                  message: "tabs are not allowed for indentation"),
        ErrorCase(description: "tab after spaces", text: "a:\n  b: 1\n  \tc: 2\n", line: 3, column: 3,
                  message: "tabs are not allowed for indentation"),
        ErrorCase(description: "tab in block scalar", text: "x: |\n\tfoo\n", line: 2, column: 1,
                  message: "tabs are not allowed for indentation"),
        ErrorCase(description: "unterminated quote", text: "a: \"abc\n", line: 1, column: 4,
                  message: "unterminated quoted string"),
        ErrorCase(description: "mapping value in plain", text: "a: b: c\n", line: 1, column: 5,
                  message: "unexpected ':' (a mapping value is not allowed here)"),
        ErrorCase(description: "reserved @", text: "a: @x\n", line: 1, column: 4,
                  message: "'@' is reserved and cannot start a plain value"),
        ErrorCase(description: "bad indentation", text: "a:\n  - 1\n - 2\n", line: 3, column: 2,
                  message: "expected a key here (is the line indented consistently?)"),
        ErrorCase(description: "unknown escape", text: "a: \"\\q\"\n", line: 1, column: 5,
                  message: "unknown escape sequence in a double-quoted string"),
        ErrorCase(description: "control character", text: "a: 1\nb: \u{1}\n", line: 2, column: 4,
                  message: "control character U+0001 is not allowed in YAML"),
    ])
    func errorPositions(_ c: ErrorCase) {
        let d = loadError(c.text)
        #expect(d?.mark == Mark(file: "f.yaml", line: c.line, column: c.column), "\(String(describing: d))")
        #expect(d?.message == c.message)
    }

    @Test func duplicatesInLargeMappings() throws {
        let keys = (0..<40).map { "k\($0): \($0)\n" }.joined()
        let d = loadError(keys + "k3: again\n")
        #expect(d?.mark == Mark(file: "f.yaml", line: 41, column: 1))
        #expect(d?.message == "key \"k3\" already defined at f.yaml:4:1")
        // Merging a large map: explicit keys still win, order kept.
        let big = (0..<30).map { "  m\($0): \($0)\n" }.joined()
        let root = try load("base: &b\n" + big + "x:\n  m5: mine\n  <<: *b\n")
        let x = try #require(root["x"])
        #expect(x.mappingKeys.count == 30)
        #expect(x.mappingKeys.first == "m5")
        #expect(x["m5"]?.scalarValue == "mine")
        #expect(x["m29"]?.scalarValue == "29")
    }

    @Test func canonicallyEquivalentKeysAreDistinct() throws {
        // U+00E9 and e + U+0301 are equal Swift Strings but different YAML keys.
        let root = try load("\u{E9}: 1\ne\u{301}: 2\n")
        #expect(root.mappingPairs?.count == 2)
        // Looked up byte for byte too, short and long (heap-stored) texts alike.
        #expect(root["\u{E9}"]?.scalarValue == "1")
        #expect(root["e\u{301}"]?.scalarValue == "2")
        let long = String(repeating: "k", count: 40)
        let more = try load("\(long)\u{E9}: 1\n\(long)e\u{301}: 2\n\(long)x: 3\n")
        #expect(more["\(long)\u{E9}"]?.scalarValue == "1")
        #expect(more["\(long)e\u{301}"]?.scalarValue == "2")
        #expect(more["\(long)y"] == nil)
    }

    @Test func duplicateKeyNamesItsKeyPath() {
        #expect(loadError("s:\n  web:\n    image: a\n    image: b\n")?.keyPath == "s.web")
        #expect(loadError("x:\n- a: 1\n- {b: 1, b: 2}\n")?.keyPath == "x[1]")
        #expect(loadError("a: 1\na: 2\n")?.keyPath == "")
        #expect(loadError("a: 1\na: 2\n")?.description == "f.yaml:2:1: key \"a\" already defined at f.yaml:1:1")
    }

    @Test func allDuplicateKeysAreReportedTogether() throws {
        do {
            _ = try load("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
            Issue.record("expected an error")
        } catch let error as DiagnosticsError {
            #expect(error.diagnostics.map { $0.mark?.line } == [2, 5])
        }
    }

    struct BytesCase: CustomStringConvertible, Sendable {
        var description: String
        var bytes: [UInt8]
        var line: Int
        var column: Int
        var message: String
    }

    @Test(arguments: [
        BytesCase(description: "stray continuation byte", bytes: Array("a: 1\nb: x".utf8) + [0x80],
                  line: 2, column: 5, message: "invalid UTF-8: unexpected continuation byte 0x80"),
        BytesCase(description: "0xFF", bytes: Array("k: é".utf8) + [0xFF], line: 1, column: 5,
                  message: "invalid UTF-8: byte 0xFF cannot start a character"),
        BytesCase(description: "truncated", bytes: Array("a:\n  b: ".utf8) + [0xE2, 0x82], line: 2, column: 6,
                  message: "invalid UTF-8: truncated sequence starting with byte 0xE2"),
        BytesCase(description: "overlong", bytes: Array("a: ".utf8) + [0xC0, 0xAF], line: 1, column: 4,
                  message: "invalid UTF-8: byte 0xC0 cannot start a character"),
        BytesCase(description: "overlong three bytes", bytes: Array("a: ".utf8) + [0xE0, 0x80, 0xAF], line: 1,
                  column: 4, message: "invalid UTF-8: overlong encoding starting with byte 0xE0"),
        BytesCase(description: "surrogate", bytes: Array("a: ".utf8) + [0xED, 0xA0, 0x80], line: 1, column: 4,
                  message: "invalid UTF-8: encoded surrogate U+D800"),
        BytesCase(description: "UTF-16 BOM", bytes: [0xFF, 0xFE, 0x61, 0x00], line: 1, column: 1,
                  message: "file is UTF-16 (byte order mark found); only UTF-8 is supported"),
    ])
    func invalidUTF8(_ c: BytesCase) {
        let d = loadError(bytes: c.bytes)
        #expect(d?.mark == Mark(file: "f.yaml", line: c.line, column: c.column))
        #expect(d?.message == c.message)
    }
}

@Suite struct LoaderLimitTests {
    @Test func billionLaughsFailsFastAndCleanly() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let clock = ContinuousClock()
        let start = clock.now
        let d = loadError(text)
        #expect(clock.now - start < .seconds(2))
        #expect(d?.message.contains("alias expansion limit") == true)
        #expect(d?.mark?.line == 6)
    }

    @Test func aliasLimitIsConfigurable() {
        let limits = YAMLLimits(maxAliasExpansion: 5)
        #expect(loadError("a: &a [1, 2]\nb: *a\n", limits: limits) == nil)
        let d = loadError("a: &a [1, 2]\nb: *a\nc: *a\n", limits: limits)
        #expect(d?.mark == Mark(file: "f.yaml", line: 3, column: 4))
    }

    @Test func depthLimit() {
        let limits = YAMLLimits(maxDepth: 3)
        #expect(loadError("a: {b: {c: 1}}", limits: limits) == nil)
        let d = loadError("a: {b: {c: [1]}}", limits: limits)
        #expect(d?.mark == Mark(file: "f.yaml", line: 1, column: 12))
        #expect(d?.message == "nesting is deeper than the limit of 3 levels")
    }

    @Test func deepFlowNestingStopsAtDefaultDepth() {
        let text = String(repeating: "[", count: 100_000)
        let d = loadError(text)
        #expect(d?.message == "nesting is deeper than the limit of 256 levels")
        #expect(d?.mark?.column == 257)
    }

    @Test func depthCountsWhatAliasesExpandTo() {
        let limits = YAMLLimits(maxDepth: 3)
        let d = loadError("a: &a {b: [1]}\nc: {d: *a}\n", limits: limits)
        #expect(d?.mark == Mark(file: "f.yaml", line: 2, column: 8))
    }

    @Test func sizeLimit() {
        let limits = YAMLLimits(maxBytes: 10)
        #expect(loadError("a: 1", limits: limits) == nil)
        let d = loadError("a: 12345678901", limits: limits)
        #expect(d?.mark == Mark(file: "f.yaml", line: 1, column: 1))
        #expect(d?.message == "file is 14 bytes, larger than the limit of 10 bytes")
    }
}

@Suite struct LoaderTagTests {
    /// `loadNotingTags` tells whether any node, anywhere, has an explicit tag.
    @Test(arguments: [
        ("a: 1\nb: [x, {c: d}]\n", false),
        ("", false),
        ("a: !reset null\n", true),
        ("a: [x, !!str 1]\n", true),
        ("a: {b: !override {c: d}}\n", true),
        ("! {a: b}\n", true),
    ])
    func notesTags(_ text: String, _ tagged: Bool) throws {
        let loaded = try YAMLLoader.loadNotingTags(bytes: Array(text.utf8), file: "t.yaml")
        #expect(loaded.tagged == tagged)
        #expect(loaded.node == (try YAMLLoader.load(text, file: "t.yaml")))
    }
}
