import Testing
@testable import Compose

/// `KeyTable` (the schema's field lookups) finds what a `Dictionary` finds.
@Suite struct KeyTableTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let keys: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty", keys: []),
        Case(name: "one key", keys: ["image"]),
        Case(name: "the service schema's fields", keys: {
            guard case let .object(service) = ComposeSchema.service else { return [] }
            return Array(service.fields.keys)
        }()),
        Case(name: "500 generated keys (collisions, several table sizes)", keys: (0..<500).map { "k\($0)" }),
    ]

    static let absent = ["", "x-extra", "imagee", "IMAGE", "k500", "k-1", "im", "ports ", "é", "\u{212A}"]

    @Test(arguments: cases) func findsWhatADictionaryFinds(_ c: Case) {
        let dictionary = Dictionary(uniqueKeysWithValues: c.keys.enumerated().map { ($0.element, $0.offset) })
        let table = KeyTable(dictionary)
        #expect(table.isEmpty == c.keys.isEmpty)
        for key in c.keys { #expect(table[key] == dictionary[key], "\(key)") }
        for key in Self.absent + c.keys.map({ $0 + "_" }) where dictionary[key] == nil {
            #expect(table[key] == nil, "\(key)")
        }
    }
}
