// The fuzz entry point: bytes → YAMLLoader → emitter round trip and JSON →
// Compose loader (in memory) → round trip of the normalized tree, graph.
// libFuzzer provides `main`; build with -parse-as-library.
// A thrown error is the expected outcome for bad input; a crash, a hang, a
// sanitizer report or a broken round trip is a finding.
@testable import YAML

/// Small limits keep each execution fast; the loader must still fail
/// cleanly when they are exceeded.
let fuzzLimits = YAMLLimits(maxBytes: 1 << 20, maxDepth: 64, maxAliasExpansion: 5_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let node = try? YAMLLoader.load(bytes: bytes, file: "fuzz.yaml", limits: fuzzLimits) else {
        return 0
    }
    checkRoundTrip(node)
    _ = JSONEmitter.emit(node)
    ComposeFuzzing.load(bytes)
    return 0
}

/// What the emitter promises: loading its output gives the same tree, with
/// scalar styles as `ScalarAnalysis` chose them.
func checkRoundTrip(_ node: Node) {
    let yaml: String
    do {
        yaml = try YAMLEmitter.emit(node)
    } catch {
        preconditionFailure("emitter failed on a loaded tree: \(error)")
    }
    let back: Node
    do {
        back = try YAMLLoader.load(yaml, file: "emitted.yaml",
                                   limits: YAMLLimits(maxBytes: .max, maxDepth: 1024, maxAliasExpansion: 0))
    } catch {
        preconditionFailure("emitted YAML does not load: \(error)\n--- emitted\n\(yaml)")
    }
    guard back.isStructurallyEqual(to: expectedStyles(node)) else {
        preconditionFailure("round trip changed the tree\n--- emitted\n\(yaml)")
    }
}

func expectedStyles(_ node: Node, isKey: Bool = false) -> Node {
    var copy = node
    switch node.kind {
    case let .scalar(text, style):
        copy.kind = .scalar(text, ScalarAnalysis.emittedStyle(for: text, requested: style, isKey: isKey))
    case let .sequence(items):
        copy.kind = .sequence(items.map { expectedStyles($0) })
    case let .mapping(pairs):
        copy.kind = .mapping(pairs.map {
            Node.Pair(key: expectedStyles($0.key, isKey: true), value: expectedStyles($0.value))
        })
    }
    return copy
}
