import BerthTestSupport
import Diagnostics
import Foundation
import Testing
import YAML
@testable import Compose

/// Loads every compose file of the shared corpus (read in place, never
/// copied): awesome-compose stacks must all load; the docker compose e2e
/// fixtures are classified as loading or failing with a clear, positioned
/// error, and the counts are asserted so a regression shows up.
@Suite struct CorpusTests {
    static var composeRoot: URL { Repository.corpus.appendingPathComponent("compose") }

    /// Compose files under `directory`: YAML files named like compose files,
    /// excluding Kubernetes/Helm expectations that live beside them.
    static func composeFiles(under directory: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            if relative.split(separator: "/").contains(where: { $0.hasPrefix("expected-") }) { continue }
            found.append(directory.appendingPathComponent(relative).path)
        }
        return found.sorted()
    }

    enum Outcome: Equatable {
        case loaded
        case failed([Diagnostic])
    }

    static func load(_ path: String) -> Outcome {
        let directory = PathRules.directory(of: path)
        let options = LoadOptions(files: [path], workingDirectory: directory,
                                  environment: ["HOME": "/home/corpus"], homeDirectory: "/home/corpus")
        do {
            _ = try ComposeLoader.load(options)
            return .loaded
        } catch let e as DiagnosticsError {
            return .failed(e.diagnostics.filter { $0.severity == .error })
        } catch {
            return .failed([Diagnostic(at: nil, "non-diagnostic error: \(error)")])
        }
    }

    @Test func awesomeComposeAllLoad() throws {
        let files = Self.composeFiles(under: Self.composeRoot.appendingPathComponent("awesome-compose"))
        try #require(files.count == 39, "corpus missing at \(Self.composeRoot.path)")
        var failures: [String] = []
        for file in files {
            if case let .failed(diagnostics) = Self.load(file) {
                failures.append("\(file): " + diagnostics.map(\.description).joined(separator: "; "))
            }
        }
        print("corpus awesome-compose: \(files.count - failures.count)/\(files.count) load")
        #expect(failures == [])
    }

    /// STYLE.md round trip on real stacks: normalize → emit → load again → equal.
    @Test func awesomeComposeRoundTrips() throws {
        for file in Self.composeFiles(under: Self.composeRoot.appendingPathComponent("awesome-compose")) {
            let directory = PathRules.directory(of: file)
            let environment = ["HOME": "/home/corpus"]
            let first = try ComposeLoader.load(LoadOptions(files: [file], workingDirectory: directory,
                                                           environment: environment, homeDirectory: "/home/corpus"))
            let text = try YAMLEmitter.emit(first.normalized)
            let second = try ComposeLoader.load(LoadOptions(files: ["-"], stdinText: text, workingDirectory: directory,
                                                            environment: environment, homeDirectory: "/home/corpus"))
            #expect(second.normalized.strippingMarks() == first.normalized.strippingMarks(), "\(file)")
        }
    }

    /// e2e fixtures that fail without what Docker Compose's own tests
    /// provide (a variable, a file) or that are invalid on purpose.
    static let expectedE2EFailures: [String: String] = CorpusExpectations.e2eFailures

    @Test func e2eFixturesLoadOrFailClearly() throws {
        let root = Self.composeRoot.appendingPathComponent("docker-compose-e2e/pkg/e2e/fixtures")
        let files = Self.composeFiles(under: root)
        try #require(files.count == 58, "corpus missing at \(root.path)")
        var loaded = 0
        var failed: [String: [Diagnostic]] = [:]
        for file in files {
            switch Self.load(file) {
            case .loaded: loaded += 1
            case let .failed(diagnostics): failed[PathRules.display(file, relativeTo: root.path)] = diagnostics
            }
        }
        print("corpus docker-compose e2e fixtures: \(files.count) files, \(loaded) load, \(failed.count) fail with a diagnostic")
        for (file, diagnostics) in failed.sorted(by: { $0.key < $1.key }) {
            print("  \(file): \(diagnostics.first?.description ?? "?")")
            // Every failure is a diagnostic with a message, and a position
            // unless it is about the invocation as a whole.
            #expect(!diagnostics.isEmpty, "\(file) failed without a diagnostic")
            for d in diagnostics {
                #expect(!d.message.isEmpty && !d.message.hasPrefix("non-diagnostic"), "\(file): \(d)")
            }
        }
        #expect(Set(failed.keys) == Set(Self.expectedE2EFailures.keys))
        for (file, fragment) in Self.expectedE2EFailures {
            let text = failed[file]?.map(\.description).joined(separator: "\n") ?? ""
            #expect(text.contains(fragment), "\(file): expected a diagnostic containing \"\(fragment)\", got \(text)")
        }
        #expect(loaded == files.count - Self.expectedE2EFailures.count)
    }
}
