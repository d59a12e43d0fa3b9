import BerthTestSupport
import Foundation
import Testing
@testable import YAML

/// Every compose file of the shared corpus goes through the YAML layer:
/// it loads, and emitting then loading again gives the same tree.
@Suite struct CorpusTests {
    static func composeFiles() -> [URL] {
        let root = Repository.corpus.appendingPathComponent("compose")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }

    @Test func everyCorpusFileLoadsAndRoundTrips() throws {
        let files = Self.composeFiles()
        try #require(files.count >= 100, "corpus not found at \(Repository.corpus.path)")
        var loaded = 0
        for url in files {
            let bytes = try Array(Data(contentsOf: url))
            let node: Node
            do {
                node = try YAMLLoader.load(bytes: bytes, file: url.lastPathComponent)
            } catch {
                Issue.record("\(url.path): \(error)")
                continue
            }
            loaded += 1
            let yaml = try YAMLEmitter.emit(node)
            let again = try YAMLLoader.load(yaml, file: "emitted")
            #expect(again.isStructurallyEqual(to: expectedAfterRoundTrip(node)), "\(url.path)")
        }
        #expect(loaded == files.count)
    }
}
