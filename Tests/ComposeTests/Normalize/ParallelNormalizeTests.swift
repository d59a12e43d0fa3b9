import Diagnostics
import Testing
import YAML
@testable import Compose

/// `normalizeServices` does a large project in two halves at once; its
/// tree, diagnostics and port count must be those of one run in order.
@Suite struct ParallelNormalizeTests {
    static let context = NormalizeContext(workingDirectory: "/p", homeDirectory: "/home/u", environment: ["A": "1"])

    /// `count` services; every seventh has a bad port (a diagnostic in both
    /// halves), `ports` extra entries each, and values to canonicalize.
    static func services(_ count: Int, ports: String = "8080:80") -> [Node.Pair] {
        (0..<count).map { i in
            let name = "svc-\(i)"
            let service = Node.mapping([
                "image": .scalar("img:\(i)"),
                "ports": .sequence([.scalar(i % 7 == 0 ? "70000" : ports), .scalar("9\(i % 10)00/udp")]),
                "environment": .sequence([.scalar("A"), .scalar("B=\(i)")]),
                "healthcheck": .mapping(["test": .scalar("true"), "interval": .scalar("90s")]),
                "user": .scalar("\(1000 + i)"),
                "depends_on": .sequence(i > 0 ? [.scalar("svc-\(i - 1)")] : []),
                "scale": .scalar("1"),
            ])
            return Node.Pair(key: .scalar(name), value: service)
        }
    }

    /// The one-run result: every service in order with one run.
    static func sequential(_ pairs: [Node.Pair]) -> ([Node.Pair], Bool, NormalizeRun) {
        var run = NormalizeRun(context: context)
        let (out, uses) = NormalizeRun.normalize(pairs[...], in: &run)
        return (out, uses, run)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var count: Int
        var ports = "8080:80"
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "small project, one run", count: 10),
        Case(name: "64 services in two halves", count: 64),
        Case(name: "port limit crossed only by both halves together", count: 40, ports: "1-3000"),
        Case(name: "port limit crossed within the first half", count: 40, ports: "1-6000"),
    ])
    func sameAsOneRun(_ c: Case) {
        let pairs = Self.services(c.count, ports: c.ports)
        let (expected, expectedUses, expectedRun) = Self.sequential(pairs)
        var run = NormalizeRun(context: Self.context)
        let (out, uses) = run.normalizeServices(pairs)
        #expect(out == expected)
        #expect(uses == expectedUses)
        #expect(run.diagnostics == expectedRun.diagnostics)
        #expect(run.expandedPorts == expectedRun.expandedPorts)
        #expect(!run.diagnostics.isEmpty)
    }

    @Test func wholeProjectMatchesTheOneRunCanonicalization() {
        // normalizeProject (halves + per-service canonicalization) against
        // the former order: every service, then the whole project's schema.
        let root = Node.mapping([
            "name": .scalar("p"),
            "services": .mapping(Self.services(64)),
            "volumes": .mapping(["data": .mapping(["external": .scalar("yes")])]),
        ])
        let (normalized, _) = Normalizer.normalize(root, context: Self.context)
        var run = NormalizeRun(context: Self.context)
        let (pairs, _) = NormalizeRun.normalize((root["services"]?.mappingPairs ?? [])[...], in: &run)
        #expect(normalized["services"]?.mappingPairs == pairs)
        #expect(Canonicalizer.canonicalize(normalized, ComposeSchema.project) == normalized)
        #expect(normalized["volumes"]?["data"]?["external"]?.scalarValue == "true")
    }
}
