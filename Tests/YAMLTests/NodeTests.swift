import Testing
import Diagnostics
@testable import YAML

@Suite struct NodeTests {
    @Test func mappingLookupUsesLastKeyAndKeepsOrder() {
        let node = Node.mapping([
            .init(key: .scalar("a"), value: .scalar("1")),
            .init(key: .scalar("b"), value: .scalar("2")),
            .init(key: .scalar("a"), value: .scalar("3")),
        ])
        #expect(node["a"]?.scalarValue == "3")
        #expect(node.mappingKeys == ["a", "b", "a"])
        #expect(node["missing"] == nil)
    }

    @Test func settingReplacesInPlaceAndAppendsNewKeys() {
        let node = Node.mapping(["image": .scalar("busybox"), "command": .scalar("true")])
        let changed = node.setting("image", to: .scalar("alpine")).setting("user", to: .scalar("1000"))
        #expect(changed.mappingKeys == ["image", "command", "user"])
        #expect(changed["image"]?.scalarValue == "alpine")
        #expect(changed.removing("command").mappingKeys == ["image", "user"])
    }

    struct NullCase: Sendable, CustomTestStringConvertible {
        var node: Node
        var isNull: Bool
        var testDescription: String { "\(node.scalarValue ?? "?") \(node.scalarStyle?.rawValue ?? "")" }
    }

    @Test(arguments: [
        NullCase(node: .scalar(""), isNull: true),
        NullCase(node: .scalar("~"), isNull: true),
        NullCase(node: .scalar("null"), isNull: true),
        NullCase(node: .scalar("NULL"), isNull: true),
        NullCase(node: .scalar("null", style: .doubleQuoted), isNull: false),
        NullCase(node: .scalar("nil"), isNull: false),
        NullCase(node: .scalar("x", tag: "tag:yaml.org,2002:null"), isNull: true),
        NullCase(node: .scalar("null", tag: "!reset"), isNull: false),
    ])
    func nullDetection(_ c: NullCase) {
        #expect(c.node.isNull == c.isNull)
    }

    @Test func syntheticMarksPrintTheirOrigin() {
        #expect(Mark.synthetic("--env-file").description == "--env-file")
        #expect(Mark(file: "compose.yaml", line: 3, column: 7).description == "compose.yaml:3:7")
    }
}
