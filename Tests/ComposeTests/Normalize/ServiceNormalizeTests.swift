import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ServiceNormalizeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var key: String
        var input: Node
        var normalized: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "depends_on list", key: "depends_on", input: ["db", "cache"],
             normalized: "{db: {condition: service_started, required: true}, cache: {condition: service_started, required: true}}"),
        Case(name: "depends_on long gets required", key: "depends_on",
             input: ["db": ["condition": "service_healthy", "restart": "yes"]],
             normalized: "{db: {condition: service_healthy, required: true, restart: true}}"),
        Case(name: "depends_on long keeps required false", key: "depends_on",
             input: ["db": ["condition": "service_started", "required": "false"]],
             normalized: "{db: {condition: service_started, required: false}}"),
        Case(name: "environment list", key: "environment", input: ["A=1", "B=", "C=x=y", "FROM_ENV", "UNSET"],
             normalized: #"{A: "1", B: "", C: x=y, FROM_ENV: yes please, UNSET: null}"#),
        Case(name: "environment map values stay strings", key: "environment",
             input: ["DEBUG": "true", "N": "5", "EMPTY": "", "FROM_ENV": ""],
             normalized: #"{DEBUG: "true", N: "5", EMPTY: null, FROM_ENV: yes please}"#),
        Case(name: "environment repeated name: last wins", key: "environment", input: ["A=1", "B=x", "A=2"],
             normalized: #"{A: "2", B: x}"#),
        Case(name: "environment of 20 names, repeated past 16: last wins in first place", key: "environment",
             input: .sequence(((0..<20).map { "V\($0)=\($0)" } + ["V3=x", "V18=w", "V0=z"]).map { .scalar($0) }),
             normalized: "{" + (0..<20).map { i in
                 "V\(i): " + (i == 3 ? "x" : i == 18 ? "w" : i == 0 ? "z" : "\"\(i)\"")
             }.joined(separator: ", ") + "}"),
        Case(name: "labels list", key: "labels", input: ["com.example.a=1", "flag"],
             normalized: #"{com.example.a: "1", flag: ""}"#),
        Case(name: "build string", key: "build", input: "./app",
             normalized: "{context: /proj/app, dockerfile: Dockerfile}"),
        Case(name: "build long", key: "build", input: ["context": ".", "args": ["V=1", "FROM_ENV"], "no_cache": "yes"],
             normalized: #"{context: /proj, args: {V: "1", FROM_ENV: yes please}, no_cache: true, dockerfile: Dockerfile}"#),
        Case(name: "build remote context", key: "build", input: "https://github.com/a/b.git#main",
             normalized: "{context: https://github.com/a/b.git#main, dockerfile: Dockerfile}"),
        Case(name: "healthcheck string test and durations", key: "healthcheck",
             input: ["test": "curl -f http://localhost", "interval": "90s", "timeout": "10s", "retries": quoted("3"),
                     "start_period": "1m"],
             normalized: "{test: [CMD-SHELL, curl -f http://localhost], interval: 1m30s, timeout: 10s, retries: 3, start_period: 1m0s}"),
        Case(name: "healthcheck disable", key: "healthcheck", input: ["disable": "true", "interval": "5s"],
             normalized: "{disable: true}"),
        Case(name: "healthcheck test NONE", key: "healthcheck", input: ["test": ["NONE"]],
             normalized: "{disable: true}"),
        Case(name: "networks list", key: "networks", input: ["front", "back"],
             normalized: "{front: null, back: null}"),
        Case(name: "networks long kept", key: "networks", input: ["front": ["aliases": ["web"], "ipv4_address": "10.0.0.5"]],
             normalized: "{front: {aliases: [web], ipv4_address: 10.0.0.5}}"),
        Case(name: "secrets short", key: "secrets", input: ["token", ["source": "cert", "target": "/c"]],
             normalized: "[{source: token}, {source: cert, target: /c}]"),
        Case(name: "extra_hosts list", key: "extra_hosts", input: ["db:10.0.0.2", "v6=::1", "db:10.0.0.3"],
             normalized: "{db: [10.0.0.2, 10.0.0.3], v6: [::1]}"),
        Case(name: "dns string", key: "dns", input: "8.8.8.8", normalized: "[8.8.8.8]"),
        Case(name: "command string kept", key: "command", input: "echo hi", normalized: "echo hi"),
        Case(name: "command list items become strings", key: "command", input: ["sleep", "10"],
             normalized: #"[sleep, "10"]"#),
        Case(name: "stop_grace_period", key: "stop_grace_period", input: "120s", normalized: "2m0s"),
        Case(name: "mem_limit bytes", key: "mem_limit", input: "512m", normalized: "536870912"),
        Case(name: "privileged yes", key: "privileged", input: "yes", normalized: "true"),
        Case(name: "pull_policy alias", key: "pull_policy", input: "if_not_present", normalized: "missing"),
        Case(name: "ulimits canonical", key: "ulimits", input: ["nofile": ["soft": quoted("1024"), "hard": "2048"], "nproc": "65535"],
             normalized: "{nofile: {soft: 1024, hard: 2048}, nproc: 65535}"),
        Case(name: "x- extension kept", key: "x-info", input: ["anything": ["goes"]], normalized: "{anything: [goes]}"),
    ])
    func normalizes(_ c: Case) {
        let (service, diagnostics) = normalizeService(["image": "x", Node.scalar(c.key).scalarValue ?? "": c.input])
        #expect(diagnostics.isEmpty)
        #expect(render(service[c.key] ?? "missing") == c.normalized)
    }

    @Test func defaultNetworkAddedToServiceAndTopLevel() {
        let root: Node = ["name": "p", "services": ["a": ["image": "x"], "b": ["image": "x", "network_mode": "host"]]]
        let (out, diagnostics) = Normalizer.normalize(root, context: testContext)
        #expect(diagnostics.isEmpty)
        #expect(render(out["services"]?["a"]?["networks"] ?? "missing") == "{default: null}")
        #expect(out["services"]?["b"]?["networks"] == nil)
        #expect(render(out["networks"] ?? "missing") == "{default: {}}")
    }

    @Test func noDefaultNetworkWhenUnused() {
        let root: Node = ["name": "p", "services": ["a": ["image": "x", "networks": ["front"]]], "networks": ["front": ""]]
        let (out, _) = Normalizer.normalize(root, context: testContext)
        #expect(render(out["networks"] ?? "missing") == "{front: {}}")
    }

    @Test func scaleAndReplicas() {
        let (fromReplicas, d1) = normalizeService(["image": "x", "deploy": ["replicas": "3"]])
        #expect(d1.isEmpty)
        #expect(render(fromReplicas["scale"] ?? "missing") == "3")
        #expect(render(fromReplicas["deploy"] ?? "missing") == "{replicas: 3}")

        let (same, d2) = normalizeService(["image": "x", "scale": "2", "deploy": ["replicas": "2"]])
        #expect(d2.isEmpty)
        #expect(render(same["scale"] ?? "missing") == "2")

        let (_, d3) = normalizeService(["image": "x", "scale": "2", "deploy": ["replicas": "3"]])
        #expect(d3.map(\.description) == ["<generated>: services.s.scale: conflicts with deploy.replicas (2 ≠ 3, set at <generated>)"])
    }

    @Test func topLevelResources() {
        let root: Node = [
            "name": "p",
            "services": [:],
            "volumes": ["data": "", "old": ["external": ["name": "legacy"]], "ext": ["external": "yes"]],
            "networks": ["front": ["labels": ["a=b"]], "shared": ["external": "true", "name": "corp"]],
            "secrets": ["token": ["file": "./token.txt"]],
            "configs": ["cfg": ["file": "~/app.conf"]],
            "x-top": "kept",
        ]
        let (out, diagnostics) = Normalizer.normalize(root, context: testContext)
        #expect(diagnostics.isEmpty)
        #expect(render(out["volumes"] ?? "missing") ==
                "{data: {}, old: {external: true, name: legacy}, ext: {external: true, name: ext}}")
        #expect(render(out["networks"] ?? "missing") ==
                #"{front: {labels: {a: b}}, shared: {external: true, name: corp}}"#)
        #expect(render(out["secrets"] ?? "missing") == "{token: {file: /proj/token.txt}}")
        #expect(render(out["configs"] ?? "missing") == "{cfg: {file: /home/u/app.conf}}")
        #expect(render(out["x-top"] ?? "missing") == "kept")
    }

    @Test func badShortSyntaxReportedWithPath() {
        let (_, diagnostics) = normalizeService(["image": "x", "ports": ["80", "80:8o"]])
        #expect(diagnostics.map(\.description) == [#"<generated>: services.s.ports[1]: invalid port "80:8o": "8o" is not a port or port range"#])
    }
}
