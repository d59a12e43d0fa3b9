import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ServiceGraphTests {
    static func project(_ services: Node) throws -> Project {
        let (normalized, diagnostics) = Normalizer.normalize(["name": "p", "services": services], context: testContext)
        #expect(diagnostics.isEmpty)
        return try Project(normalized: normalized)
    }

    /// web → api → (db, cache); worker → db; side shares api's network; tool alone.
    static let stack: Node = [
        "web": ["image": "x", "depends_on": ["api"]],
        "api": ["image": "x", "depends_on": ["db": ["condition": "service_healthy"], "cache": ["condition": "service_started"]]],
        "db": ["image": "x"],
        "cache": ["image": "x"],
        "worker": ["image": "x", "depends_on": ["db"]],
        "side": ["image": "x", "network_mode": "service:api"],
        "tool": ["image": "x", "volumes_from": ["service:db:ro"]],
    ]

    struct WaveCase: CustomTestStringConvertible, Sendable {
        var name: String
        var selected: [String]?
        var start: [[String]]
        var stop: [[String]]
        var testDescription: String { name }
    }

    @Test(arguments: [
        WaveCase(name: "everything", selected: nil,
                 start: [["cache", "db"], ["api", "tool", "worker"], ["side", "web"]],
                 stop: [["side", "tool", "web", "worker"], ["api"], ["cache", "db"]]),
        WaveCase(name: "web and its dependencies", selected: ["web"],
                 start: [["cache", "db"], ["api"], ["web"]],
                 stop: [["web"]]),
        WaveCase(name: "db and its dependents on stop", selected: ["db"],
                 start: [["db"]],
                 stop: [["side", "tool", "web", "worker"], ["api"], ["db"]]),
        WaveCase(name: "two selections", selected: ["worker", "cache"],
                 start: [["cache", "db"], ["worker"]],
                 stop: [["side", "web", "worker"], ["api"], ["cache"]]),
        WaveCase(name: "unknown names ignored", selected: ["nope"], start: [], stop: []),
    ])
    func waves(_ c: WaveCase) throws {
        let graph = try ServiceGraph(Self.project(Self.stack))
        #expect(graph.startWaves(for: c.selected) == c.start)
        #expect(graph.stopWaves(for: c.selected) == c.stop)
    }

    @Test func topologicalOrder() throws {
        let graph = try ServiceGraph(Self.project(Self.stack))
        #expect(graph.topologicalOrder == ["cache", "db", "api", "tool", "worker", "side", "web"])
        #expect(graph.dependencies["api"] == ["cache", "db"])
        #expect(graph.dependencies["side"] == ["api"])
        #expect(graph.dependencies["tool"] == ["db"])
    }

    @Test func cycleIsAnErrorThatPrintsTheCycle() throws {
        let project = try Self.project([
            "a": ["image": "x", "depends_on": ["b"]],
            "b": ["image": "x", "depends_on": ["c"]],
            "c": ["image": "x", "network_mode": "service:a"],
        ])
        #expect {
            try ServiceGraph(project)
        } throws: { error in
            (error as? DiagnosticsError)?.description == "<generated>: services.a: dependency cycle: a → b → c → a"
        }
    }

    @Test func longChainsDoNotExhaustTheStack() {
        var edges: [String: [String]] = [:]
        let n = 10_000
        for i in 0..<n { edges["s\(i)"] = i + 1 < n ? ["s\(i + 1)"] : [] }
        #expect(DependencyCycles.find(edges) == nil)
        edges["s\(n - 1)"] = ["s\(n - 3)"]
        #expect(DependencyCycles.find(edges) == ["s\(n - 3)", "s\(n - 2)", "s\(n - 1)", "s\(n - 3)"])
    }

    @Test func dependenciesOutsideTheProjectAreIgnored() throws {
        // After profiles drop a service, a leftover depends_on entry must not block the graph.
        let graph = try ServiceGraph(Self.project(["a": ["image": "x", "depends_on": ["gone"]]]))
        #expect(graph.startWaves() == [["a"]])
    }

    // MARK: Config hash

    static func hash(_ service: Node) throws -> String {
        let project = try Self.project(["s": service])
        let s = try #require(project.services.first)
        return ServiceGraph.configHash(s)
    }

    @Test func hashIsStableAcrossKeyOrderAndSpelling() throws {
        let a = try Self.hash(["image": "nginx", "environment": ["A=1", "B=2"], "ports": ["8080:80"], "privileged": "yes"])
        let b = try Self.hash(["privileged": "true", "ports": [["target": "80", "published": "8080"]],
                               "environment": ["B": "2", "A": "1"], "image": "nginx"])
        #expect(a == b)
        #expect(a.count == 64)
        #expect(a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func hashChangesWithConfiguration() throws {
        let base = try Self.hash(["image": "nginx", "environment": ["A": "1"]])
        #expect(try Self.hash(["image": "nginx", "environment": ["A": "2"]]) != base)
        #expect(try Self.hash(["image": "nginx:1.27", "environment": ["A": "1"]]) != base)
        #expect(try Self.hash(["image": "nginx", "environment": ["A": "1"], "command": ["a"]]) != base)
        #expect(try Self.hash(["image": "nginx", "environment": ["A": "1"], "x-meta": "1"]) != base)
    }

    @Test func hashChangesWithDevices() throws {
        let base = try Self.hash(["image": "busybox"])
        let fuse = try Self.hash(["image": "busybox", "devices": ["/dev/fuse"]])
        #expect(fuse != base)
        #expect(try Self.hash(["image": "busybox", "devices": ["/dev/fuse:/dev/fuse:r"]]) != fuse)
        #expect(try Self.hash(["image": "busybox", "devices": ["/dev/fuse:/dev/f2"]]) != fuse)
        #expect(try Self.hash(["image": "busybox", "device_cgroup_rules": ["c 42:* rmw"]]) != base)
    }

    @Test func hashIgnoresScaleReplicasAndDependencies() throws {
        let base = try Self.hash(["image": "nginx"])
        #expect(try Self.hash(["image": "nginx", "scale": "3"]) == base)
        #expect(try Self.hash(["image": "nginx", "deploy": ["replicas": "5"]]) == base)
        #expect(try Self.hash(["image": "nginx", "pull_policy": "always", "profiles": ["dev"]]) == base)
        #expect(try Self.hash(["image": "nginx", "deploy": ["replicas": "2", "resources": ["limits": ["cpus": "1"]]]]) != base)
    }

    /// Pinned: the encoding is versioned, so a change here must be deliberate
    /// (containers created by an older berth would all be recreated).
    @Test func hashIsPinned() throws {
        let service: Node = ["image": "nginx", "ports": ["8080:80"]]
        #expect(try Self.hash(service) == Self.expectedPinnedHash)
    }
    // = sha256("berth-config-hash-v1\n" + {"image":"nginx","networks":{"default":null},"ports":[{"mode":"ingress","protocol":"tcp","published":"8080","target":"80"}]})
    static let expectedPinnedHash = "93faf80dda88266e217e76b4ebca612684e9b0627c43c360a09625c2d082fa50"

    struct DigestCase: CustomTestStringConvertible, Sendable {
        var input: String
        var hex: String
        var testDescription: String { "\(input.prefix(20))… (\(input.utf8.count) bytes)" }
    }

    @Test(arguments: [
        DigestCase(input: "", hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        DigestCase(input: "abc", hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        DigestCase(input: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                   hex: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        DigestCase(input: String(repeating: "a", count: 1000),
                   hex: "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256(_ c: DigestCase) {
        #expect(SHA256Digest.hex(Array(c.input.utf8)) == c.hex)
    }
}
