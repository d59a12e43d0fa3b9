import BerthTestSupport
import Diagnostics
import Foundation
import Testing
@testable import Compose

/// Inputs the fuzzer found (fuzz/findings/): each must now load or fail
/// with a positioned error, never produce a project with repeated keys.
@Suite struct FuzzFindingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var message: String
        var line: Int
        var testDescription: String { file }
    }

    @Test(arguments: [
        Case(file: "compose-duplicate-depends-on-entries.yaml",
             message: "services.nginx.depends_on: \"web1\" is listed twice (first at line 24)", line: 25),
        Case(file: "compose-duplicate-network-entries.yaml",
             message: "services.db.networks: \"closesnetworkname2\" is listed twice (first at line 12)", line: 13),
    ])
    func duplicateListEntriesAreAPositionedError(_ c: Case) throws {
        let path = Repository.root.appendingPathComponent("fuzz/findings/\(c.file)").path
        let options = LoadOptions(files: [path], workingDirectory: PathRules.directory(of: path))
        let error = #expect(throws: DiagnosticsError.self) { _ = try ComposeLoader.load(options) }
        let errors = error?.diagnostics.filter { $0.severity == .error } ?? []
        #expect(errors.count == 1)
        #expect(errors.first?.description.contains(c.message) == true, "\(errors)")
        #expect(errors.first?.mark?.line == c.line)
    }
}
