import BerthTestSupport
import Foundation
import Testing
@testable import YAML

/// The two-thread read of a long mapping (`SplitPlan`, `SplitReader`) gives
/// exactly the tree of the one-piece read, marks included, or declines.
@Suite struct SplitReaderTests {
    /// A compose-like document: anchors before `services:`, `count`
    /// services using them, `after` appended at the end.
    static func document(_ count: Int, before: String = "", service: (Int) -> String = Self.service,
                         after: String = "networks:\n  front: {}\n") -> String {
        var text = """
        x-common: &common
          restart: always
          labels: {tier: app}
        x-env: &env
          TZ: UTC
        \(before)services:

        """
        for i in 0..<count { text += service(i) }
        return text + after
    }

    static func service(_ i: Int) -> String {
        """
          svc-\(i):
            <<: *common
            image: "registry/svc-\(i):1"
            environment:
              <<: [*env]
              NAME: svc-\(i)
            ports: ["\(8000 + i):80", '9\(i)']
            command: >
              run
              --id \(i)
            # a comment
            healthcheck: {test: [CMD, true], interval: 10s}

        """
    }

    /// The split read, checked to be the one-piece read whenever it gives a result.
    static func split(_ text: String, minimumTail: Int = 64) throws -> (Node, Bool)? {
        let bytes = Array(text.utf8)
        let whole = try? YAMLLoader.loadWhole(bytes: bytes, file: "c.yaml")
        let read = bytes.withUnsafeBufferPointer { buffer -> (Node, Bool)? in
            guard let plan = SplitPlan(buffer, minimumTail: minimumTail) else { return nil }
            return SplitReader(file: "c.yaml", buffer: buffer, plan: plan, limits: .default).read()
        }
        if let read {
            let whole = try #require(whole, "the split read succeeded where the whole one fails")
            #expect(read.0 == whole.node, "split tree differs")
            #expect(read.1 == whole.tagged)
        }
        return read
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    static let splitting: [Case] = [
        Case(name: "compose-like, anchors and merges", text: document(40)),
        Case(name: "CRLF line breaks", text: document(40).replacingOccurrences(of: "\n", with: "\r\n")),
        Case(name: "services last, no final line break",
             text: String(document(40, after: "").dropLast())),
        Case(name: "anchor defined in the second half, used after it",
             text: document(40, service: { i in
                 i == 30 ? "  svc-30: &late\n    image: late\n" : Self.service(i)
             }, after: "x-after:\n  copy: *late\n")),
        Case(name: "anchor redefined in the second half",
             text: document(40, service: { i in
                 i == 35 ? "  svc-35:\n    environment: &env\n      A: b\n" : Self.service(i)
             }, after: "x-after: *env\n")),
        Case(name: "comments and blank lines at column 0 inside the mapping",
             text: document(40, service: { "# service \($0)\n\n" + Self.service($0) })),
        Case(name: "block scalars and multi-line quoted scalars",
             text: document(40, service: { i in
                 "  svc-\(i):\n    command: |\n      echo \(i)\n\n      done\n    entrypoint: \"a\n      b\"\n"
             })),
        Case(name: "explicit tags", text: document(40, service: { "  s\($0): !reset\n    a: !!str \($0)\n" })),
        Case(name: "non-ASCII text", text: document(40, service: { "  dienst-\($0):\n    image: größe-\($0)\n" })),
    ]

    @Test(arguments: splitting)
    func splitReadEqualsWholeRead(_ c: Case) throws {
        let read = try Self.split(c.text)
        #expect(read != nil, "expected the document to be read in two halves")
        // The public entry point gives the same tree as well.
        let bytes = Array(c.text.utf8)
        #expect(try YAMLLoader.loadNotingTags(bytes: bytes, file: "c.yaml").node
            == YAMLLoader.loadWhole(bytes: bytes, file: "c.yaml").node)
    }

    static let declining: [Case] = [
        Case(name: "alias to an anchor of the first half",
             text: document(40, service: { i in
                 i == 2 ? "  svc-2: &early\n    image: x\n" : i == 38 ? "  svc-38: *early\n" : Self.service(i)
             })),
        Case(name: "key in both halves",
             text: document(40, service: { i in Self.service(i == 39 ? 1 : i) })),
        Case(name: "merge key at the mapping's level",
             text: document(40, service: { i in i == 1 ? "  <<: {extra: {image: x}}\n" : Self.service(i) })),
        Case(name: "quoted scalar across the middle",
             text: document(40, service: { i in
                 "  svc-\(i):\n    command: \"echo\n  svc-x\(i): y\"\n"
             })),
        Case(name: "line at column 1 in the second half",
             text: document(40, service: { i in i == 37 ? " odd: 1\n" : Self.service(i) })),
        Case(name: "syntax error in the second half",
             text: document(40, service: { i in i == 37 ? "  svc-37: [a\n" : Self.service(i) })),
        Case(name: "second document after the mapping",
             text: document(40, after: "---\nother: 1\n")),
    ]

    @Test(arguments: declining)
    func splitReadDeclinesWhatItCannotJoinExactly(_ c: Case) throws {
        #expect(try Self.split(c.text) == nil)
        // The public entry point gives what the whole read gives: the tree or the same error.
        let bytes = Array(c.text.utf8)
        let whole = Result { try YAMLLoader.loadWhole(bytes: bytes, file: "c.yaml").node }
        let loaded = Result { try YAMLLoader.loadNotingTags(bytes: bytes, file: "c.yaml").node }
        switch (whole, loaded) {
        case let (.success(a), .success(b)): #expect(a == b)
        case let (.failure(a), .failure(b)): #expect("\(a)" == "\(b)")
        default: Issue.record("one read failed, the other did not: \(whole) vs \(loaded)")
        }
    }

    @Test func aliasExpansionLimitCountsBothHalves() throws {
        // Each half alone stays under the limit, together they pass it.
        let text = Self.document(40)
        let bytes = Array(text.utf8)
        let limits = YAMLLimits(maxAliasExpansion: 300)
        let read = bytes.withUnsafeBufferPointer { buffer -> (Node, Bool)? in
            guard let plan = SplitPlan(buffer, minimumTail: 64) else { return nil }
            return SplitReader(file: "c.yaml", buffer: buffer, plan: plan, limits: limits).read()
        }
        #expect(read == nil)
        #expect(throws: (any Error).self) { try YAMLLoader.loadWhole(bytes: bytes, file: "c.yaml", limits: limits) }
        // Under the limit together: read in two halves.
        let under = bytes.withUnsafeBufferPointer { buffer -> (Node, Bool)? in
            guard let plan = SplitPlan(buffer, minimumTail: 64) else { return nil }
            return SplitReader(file: "c.yaml", buffer: buffer, plan: plan,
                               limits: YAMLLimits(maxAliasExpansion: 500)).read()
        }
        #expect(under != nil)
    }

    @Test func planFindsTheLargestBareKeyAndAnEntryLinePastItsMiddle() throws {
        let text = Self.document(40)
        let bytes = Array(text.utf8)
        let plan = try #require(bytes.withUnsafeBufferPointer { SplitPlan($0, minimumTail: 64) })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func line(at offset: Int) -> String {
            String(decoding: bytes[offset...].prefix { $0 != 0x0A }, as: UTF8.self)
        }
        #expect(line(at: plan.keyLine) == "services:")
        #expect(line(at: plan.firstEntry) == "svc-0:")
        #expect(plan.indent == 2)
        #expect(line(at: plan.split).hasPrefix("  svc-2"), "\(line(at: plan.split))")
        #expect(line(at: plan.end) == "networks:")
        #expect(lines.count > 100)
        // Marks count characters: the same as offsets in ASCII text.
        #expect(plan.keyLineIndex == plan.keyLine && plan.firstEntryIndex == plan.firstEntry && plan.splitIndex == plan.split)
        // Too small a tail for the default: no plan.
        #expect(bytes.withUnsafeBufferPointer { SplitPlan($0) } == nil)
        // libyaml's marks skip a byte order mark: no plan.
        let marked: [UInt8] = [0xEF, 0xBB, 0xBF] + bytes
        #expect(marked.withUnsafeBufferPointer { SplitPlan($0, minimumTail: 64) } == nil)
    }

    @Test func planCountsCharactersForMarks() throws {
        let text = Self.document(40, before: "x-note: \"größe\"\n")
        let bytes = Array(text.utf8)
        let plan = try #require(bytes.withUnsafeBufferPointer { SplitPlan($0, minimumTail: 64) })
        #expect(plan.keyLineIndex == plan.keyLine - 2)
        #expect(plan.splitIndex == plan.split - 2)
        #expect(try Self.split(text) != nil)
    }

    /// Every corpus compose file with a cut: the split read, when it
    /// gives a result, is the whole read.
    @Test func corpusFilesSplitLikeTheyReadWhole() throws {
        let files = CorpusTests.composeFiles()
        try #require(files.count >= 100, "corpus not found at \(Repository.corpus.path)")
        var split = 0
        for url in files {
            let text = try String(decoding: Data(contentsOf: url), as: UTF8.self)
            if try Self.split(text, minimumTail: 32) != nil { split += 1 }
        }
        #expect(split >= 10, "only \(split) corpus files were read in two halves")
    }
}
