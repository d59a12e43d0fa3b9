import Diagnostics
import Testing
import YAML
@testable import Compose

/// A project with 32+ services is read in two halves at once: the same
/// services, and problems in the order of one pass.
@Suite struct ProjectHalvesTests {
    static func name(_ n: Int) -> String {
        "svc-" + String(repeating: "0", count: max(0, 3 - String(n).count)) + String(n)
    }

    static func root(services count: Int, malformedPortIn bad: Set<Int> = []) -> Node {
        .mapping([
            "name": .scalar("p"),
            "services": .mapping((0..<count).map { i in
                let port: Node = bad.contains(i) ? .scalar("80") : .mapping(["target": .scalar("80")])
                return Node.Pair(key: .scalar(Self.name(count - i)),
                                 value: .mapping(["image": .scalar("img:\(i)"), "ports": .sequence([port])]))
            }),
        ])
    }

    @Test func readsEveryServiceSortedByName() throws {
        let project = try Project(normalized: Self.root(services: 40))
        #expect(project.services.map(\.name) == (1...40).map(Self.name))
        #expect(project.services.first?.image == "img:39")
        #expect(project.services.last?.image == "img:0")
    }

    @Test func problemsFromBothHalvesInServiceOrder() {
        do {
            _ = try Project(normalized: Self.root(services: 40, malformedPortIn: [3, 30, 5]))
            Issue.record("malformed ports accepted")
        } catch let error as DiagnosticsError {
            #expect(error.diagnostics.map(\.keyPath) == [
                "services.svc-037.ports[0]", "services.svc-035.ports[0]", "services.svc-010.ports[0]",
            ])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
