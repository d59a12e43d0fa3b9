import BerthTestSupport
import Foundation
import Testing
@testable import YAML

/// `BlockWriter` must write exactly what libyaml's emitter writes for every
/// tree it accepts (and decline the rest): checked against libyaml on
/// generated trees and on every file of the corpus.
@Suite struct BlockWriterTests {
    /// Random trees of untagged one-line scalars: what the writer handles.
    struct SimpleTrees {
        var rng: SplitMix
        static let pieces: [String] = [
            "a", "web", "0", "80", ":", ": ", "#", " #", "-", "- ", "?", ",", "[", "{", "&", "*", "!", "|",
            ">", "'", "\"", "%", "@", "`", "~", ".", "...", "---", " ", "\t", "\\", "é", "✓", "😀",
            "\u{1}", "\u{7F}", "\u{85}", "\u{A0}", "\u{FEFF}", "\u{2028}", "\u{9F}", "true", "null", "<<", "${X:-y}",
        ]
        static let styles: [ScalarStyle] = [.plain, .plain, .plain, .singleQuoted, .doubleQuoted]

        mutating func scalar(maxPieces: Int = 4) -> Node {
            let n = Int.random(in: 0...maxPieces, using: &rng)
            let text = (0..<n).map { _ in Self.pieces.randomElement(using: &rng) ?? "" }.joined()
            return .scalar(text, style: Self.styles.randomElement(using: &rng) ?? .plain)
        }

        mutating func node(depth: Int) -> Node {
            let roll = Int.random(in: 0..<10, using: &rng)
            if depth == 0 || roll < 4 { return scalar() }
            if roll < 7 {
                return .sequence((0..<Int.random(in: 0...3, using: &rng)).map { _ in node(depth: depth - 1) })
            }
            var pairs: [Node.Pair] = []
            var used: Set<String> = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let key = scalar(maxPieces: 3)
                guard let text = key.scalarValue, used.insert(text).inserted else { continue }
                pairs.append(Node.Pair(key: key, value: node(depth: depth - 1)))
            }
            return .mapping(pairs)
        }
    }

    @Test func matchesLibyamlOnGeneratedTrees() throws {
        var simple = SimpleTrees(rng: SplitMix(state: 0xB10C))
        var accepted = 0
        for i in 0..<1200 {
            let tree = simple.node(depth: 4)
            for indent in [2, 4] {
                let libyaml = try YAMLEmitter.emitWithLibyaml(tree, indent: indent)
                guard let direct = BlockWriter.emit(tree, indent: indent) else { continue }
                accepted += 1
                #expect(direct == libyaml, "tree \(i), indent \(indent): \(tree.strippingMarks())")
            }
        }
        // Scalar roots and text with line breaks (NEL, LS) are not in the
        // writer's subset; the rest (about 45% of these trees) is.
        #expect(accepted > 800)
    }

    /// A root mapping whose value under one key (first, middle or last)
    /// is a block mapping long enough to be written in two halves, each
    /// entry a generated subtree; with a tag at `taggedEntry` when given.
    static func longMappingTree(_ simple: inout SimpleTrees, entries: Int, position: Int, taggedEntry: Int? = nil) -> Node {
        var inner: [Node.Pair] = []
        for e in 0..<entries {
            var value = simple.node(depth: 3)
            // Only values the writer handles (a scalar line break, say, is not).
            while BlockWriter.emit(.mapping(["k": value]), indent: 2) == nil { value = simple.node(depth: 3) }
            if e == taggedEntry { value = .scalar("", tag: "!reset") }
            inner.append(Node.Pair(key: .scalar("svc-\(e)-é"), value: value))
        }
        var outer: [Node.Pair] = [
            Node.Pair(key: .scalar("name"), value: .scalar("demo")),
            Node.Pair(key: .scalar("volumes"), value: .mapping(["data": .mapping([])])),
            Node.Pair(key: .scalar("x-empty"), value: .sequence([])),
        ]
        outer.insert(Node.Pair(key: .scalar("services"), value: .mapping(inner)), at: position)
        return .mapping(outer)
    }

    @Test(arguments: [0, 1, 3])
    func aLongMappingWrittenInTwoHalvesMatchesLibyaml(position: Int) throws {
        var simple = SimpleTrees(rng: SplitMix(state: 0x5B11 + UInt64(position)))
        for entries in [BlockWriter.splitThreshold, BlockWriter.splitThreshold + 1, 70] {
            for indent in [2, 4] {
                let tree = Self.longMappingTree(&simple, entries: entries, position: position)
                let libyaml = try YAMLEmitter.emitWithLibyaml(tree, indent: indent)
                let halves = try #require(BlockWriter.emitSplit(tree, indent: indent))
                #expect(halves == libyaml, "\(entries) entries, indent \(indent)")
                #expect(BlockWriter.emit(tree, indent: indent) == halves)
            }
        }
    }

    @Test(arguments: [3, 60])
    func aTagInEitherHalfFallsBackToLibyaml(taggedEntry: Int) throws {
        var simple = SimpleTrees(rng: SplitMix(state: 0x7A6))
        let tree = Self.longMappingTree(&simple, entries: 64, position: 1, taggedEntry: taggedEntry)
        #expect(BlockWriter.emitSplit(tree, indent: 2) == nil)
        #expect(BlockWriter.emit(tree, indent: 2) == nil)
        #expect(try YAMLEmitter.emit(tree) == (try YAMLEmitter.emitWithLibyaml(tree)))
    }

    @Test func declinesOrMatchesOnTreesWithTagsAndBlockScalars() throws {
        var generator = TreeGenerator(rng: SplitMix(state: 0x7A65))
        for i in 0..<800 {
            let tree = generator.node(depth: 4)
            guard let direct = BlockWriter.emit(tree, indent: 2) else { continue }
            #expect(direct == (try YAMLEmitter.emitWithLibyaml(tree)), "tree \(i): \(tree.strippingMarks())")
        }
    }

    struct DeclineCase: CustomStringConvertible, Sendable {
        var description: String
        var node: Node
    }

    @Test(arguments: [
        DeclineCase(description: "scalar root", node: .scalar("x")),
        DeclineCase(description: "tagged value", node: .mapping(["a": .scalar("", tag: "!reset")])),
        DeclineCase(description: "tagged collection", node: .mapping(["a": .sequence([.scalar("x")], tag: "!override")])),
        DeclineCase(description: "multi-line value", node: .mapping(["a": .scalar("x\ny\n")])),
        DeclineCase(description: "literal value", node: .mapping(["a": .scalar("x", style: .literal)])),
        DeclineCase(description: "long key", node: .mapping([String(repeating: "k", count: 129): .scalar("x")])),
        DeclineCase(description: "collection key",
                    node: .mapping([Node.Pair(key: .sequence([.scalar("k")]), value: .scalar("x"))])),
    ])
    func declines(_ c: DeclineCase) throws {
        #expect(BlockWriter.emit(c.node, indent: 2) == nil)
        // …and emit still writes it (through libyaml).
        #expect(try YAMLEmitter.emit(c.node) == (try YAMLEmitter.emitWithLibyaml(c.node)))
    }

    @Test func keyOf128BytesIsStillSimple() throws {
        let node = Node.mapping([String(repeating: "k", count: 128): .scalar("x")])
        let direct = try #require(BlockWriter.emit(node, indent: 2))
        #expect(direct == (try YAMLEmitter.emitWithLibyaml(node)))
    }

    @Test func matchesLibyamlOnTheCorpus() throws {
        let files = CorpusTests.composeFiles()
        try #require(files.count >= 100, "corpus not found at \(Repository.corpus.path)")
        var accepted = 0
        for url in files {
            guard let node = try? YAMLLoader.load(bytes: Array(Data(contentsOf: url)), file: url.lastPathComponent)
            else { continue }
            guard let direct = BlockWriter.emit(node, indent: 2) else { continue }
            accepted += 1
            #expect(direct == (try YAMLEmitter.emitWithLibyaml(node)), "\(url.path)")
        }
        #expect(accepted >= files.count / 2)
    }
}
