import Diagnostics
import Testing
import YAML
@testable import Compose

/// Normalization from YAML text, where YAML's own typing matters
/// (`80` vs `"80"`, `yes`, `1.0`), and marks must survive.
@Suite struct NormalizeYAMLTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var service: String
        var key: String
        var normalized: String
        var testDescription: String { name }
    }

    static func normalized(_ serviceYAML: String) throws -> Node {
        let indented = serviceYAML.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        let root = try YAMLLoader.load("name: p\nservices:\n  s:\n" + indented, file: "compose.yaml")
        #expect(Validator.validate(root).filter { $0.severity == .error }.map(\.description) == [])
        let (out, diagnostics) = Normalizer.normalize(root, context: testContext)
        #expect(diagnostics.isEmpty)
        return try #require(out["services"]?["s"])
    }

    @Test(arguments: [
        Case(name: "numeric and string ports", service: "image: x\nports: [80, 8080:80, \"53:53/udp\"]", key: "ports",
             normalized: #"[{mode: ingress, target: 80, protocol: tcp}, {mode: ingress, target: 80, published: "8080", protocol: tcp}, {mode: ingress, target: 53, published: "53", protocol: udp}]"#),
        Case(name: "environment scalars become strings", service: "image: x\nenvironment:\n  A: 1.0\n  B: yes\n  C: 0x1F\n  D: ~\n  E: \"\"",
             key: "environment", normalized: #"{A: "1.0", B: "yes", C: "0x1F", D: null, E: ""}"#),
        Case(name: "environment list keeps text after =", service: "image: x\nenvironment:\n  - URL=postgres://u:p@db/x?a=b\n  - PORT",
             key: "environment", normalized: #"{URL: postgres://u:p@db/x?a=b, PORT: "80"}"#),
        Case(name: "labels with booleans", service: "image: x\nlabels:\n  traefik.enable: true\n  weight: 10",
             key: "labels", normalized: #"{traefik.enable: "true", weight: "10"}"#),
        Case(name: "command list with numbers", service: "image: x\ncommand: [sleep, 10]", key: "command",
             normalized: #"[sleep, "10"]"#),
        Case(name: "a number in a string field becomes a string", service: "image: x\nuser: 1000", key: "user",
             normalized: #""1000""#),
        Case(name: "restart no stays a string", service: "image: x\nrestart: no", key: "restart", normalized: "no"),
        Case(name: "YAML 1.1 booleans in boolean fields", service: "image: x\ninit: yes\ntty: on", key: "tty", normalized: "true"),
        Case(name: "healthcheck", service: "image: x\nhealthcheck:\n  test: [\"CMD\", \"pg_isready\"]\n  interval: 1m30s\n  timeout: 500ms\n  retries: 5",
             key: "healthcheck", normalized: "{test: [CMD, pg_isready], interval: 1m30s, timeout: 500ms, retries: 5}"),
        Case(name: "volumes short forms", service: "image: x\nvolumes:\n  - ./data:/data:z\n  - logs:/var/log:ro\n  - /tmp/x",
             key: "volumes",
             normalized: "[{type: bind, source: /proj/data, target: /data, bind: {create_host_path: true, selinux: z}}, {type: volume, source: logs, target: /var/log, read_only: true, volume: {}}, {type: volume, target: /tmp/x, volume: {}}]"),
        Case(name: "depends_on mapping with restart", service: "image: x\ndepends_on:\n  db:\n    condition: service_healthy\n    restart: true",
             key: "depends_on", normalized: "{db: {condition: service_healthy, required: true, restart: true}}"),
    ])
    func normalizes(_ c: Case) throws {
        let service = try Self.normalized(c.service)
        #expect(render(service[c.key] ?? "missing") == c.normalized)
    }

    @Test func marksSurviveNormalization() throws {
        let service = try Self.normalized("image: x\nports:\n  - \"8000-8001:80-81\"\ndepends_on: [db]")
        let ports = try #require(service["ports"]?.sequenceItems)
        #expect(ports.count == 2)
        #expect(ports.allSatisfy { $0.mark == Mark(file: "compose.yaml", line: 6, column: 9) })
        #expect(ports[1]["published"]?.mark == Mark(file: "compose.yaml", line: 6, column: 9))
        let dep = try #require(service["depends_on"]?.mappingPairs?.first)
        #expect(dep.key.mark == Mark(file: "compose.yaml", line: 7, column: 18))
        #expect(dep.value["condition"]?.mark == Mark(file: "compose.yaml", line: 7, column: 18))
    }
}
