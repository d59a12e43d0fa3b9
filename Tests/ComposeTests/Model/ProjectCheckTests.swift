import Diagnostics
import Testing
import YAML
@testable import Compose

/// `Project.check(normalized:)` (what `config` runs instead of reading the
/// model) throws exactly what `Project(normalized:)` throws.
@Suite struct ProjectCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let root: Node
        var testDescription: String { name }
    }

    static func service(_ fields: KeyValuePairs<String, Node>) -> Node { .mapping(fields) }

    static let cases: [Case] = [
        Case(name: "valid, few services", root: .mapping([
            "name": .scalar("p"),
            "services": .mapping(["web": service(["image": .scalar("x"),
                                                  "ports": .sequence([.mapping(["target": .scalar("80")])])])]),
        ])),
        Case(name: "valid, 40 services (read in halves)", root: ProjectHalvesTests.root(services: 40)),
        Case(name: "malformed ports in both halves", root: ProjectHalvesTests.root(services: 40, malformedPortIn: [3, 30, 5])),
        Case(name: "port without a valid target", root: .mapping([
            "name": .scalar("p"),
            "services": .mapping(["web": service(["ports": .sequence([.mapping(["target": .scalar("http")])])])]),
        ])),
        Case(name: "volumes not normalized, after a bad port", root: .mapping([
            "name": .scalar("p"),
            "services": .mapping([
                "a": service(["volumes": .sequence([.scalar("./x:/y"), .mapping(["type": .scalar("bind")])])]),
                "b": service(["ports": .sequence([.scalar("80")]),
                              "volumes": .sequence([.mapping(["type": .scalar("nfs"), "target": .scalar("/t")])])]),
            ]),
        ])),
        Case(name: "not a mapping", root: .sequence([])),
        Case(name: "no name", root: .mapping(["services": .mapping([:])])),
        Case(name: "empty name", root: .mapping(["name": .scalar(""), "services": .mapping([:])])),
    ]

    /// The diagnostics a call throws (nil when it does not throw).
    static func thrown(_ body: () throws -> Void) throws -> [Diagnostic]? {
        do {
            try body()
            return nil
        } catch let error as DiagnosticsError {
            return error.diagnostics
        }
    }

    @Test(arguments: cases) func checkThrowsWhatReadingThrows(_ c: Case) throws {
        let read = try Self.thrown { _ = try Project(normalized: c.root) }
        let checked = try Self.thrown { try Project.check(normalized: c.root) }
        #expect(checked == read)
        let valid = c.name.hasPrefix("valid")
        #expect((read == nil) == valid)
    }
}
