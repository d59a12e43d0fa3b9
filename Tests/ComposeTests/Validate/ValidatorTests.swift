import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ValidatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var service: Node
        var messages: [String]
        var testDescription: String { name }
    }

    /// Diagnostics for a project holding one service `web`, without marks
    /// (tree literals carry none): `keyPath: message (hint)`.
    static func messages(_ service: Node) -> [String] {
        let root: Node = ["services": ["web": service]]
        return Validator.validate(root).map { d in
            var d = d
            d.mark = nil
            return d.description
        }
    }

    @Test(arguments: [
        Case(name: "valid service", service: [
            "image": "nginx", "ports": ["80", "8080:80", ["target": "443", "published": "8443"]],
            "restart": "on-failure:3", "stop_grace_period": "1m30s", "mem_limit": "512m", "privileged": "yes",
            "healthcheck": ["test": ["CMD", "true"], "interval": "10ms", "retries": "3"],
            "depends_on": ["db": ["condition": "service_healthy"]], "environment": ["A": "1", "B": ""],
            "x-custom": ["anything": "goes"], "pull_policy": "every_12h", "cpus": "0.5",
        ], messages: []),
        Case(name: "unknown key with suggestion", service: ["image": "x", "enviroment": ["A=1"]],
             messages: [#"services.web: unknown key "enviroment" (did you mean "environment"?)"#]),
        Case(name: "unknown key without suggestion", service: ["image": "x", "frobnicate": "1"],
             messages: [#"services.web: unknown key "frobnicate""#]),
        Case(name: "string expected, boolean given", service: ["image": "x", "hostname": "true"],
             messages: [#"services.web.hostname: must be a string, got a boolean true (quote it: "true")"#]),
        Case(name: "a number in a string field is its text", service: ["image": "x", "user": "1000", "hostname": "1.5"],
             messages: []),
        Case(name: "list expected, mapping given", service: ["image": "x", "cap_add": ["a": "b"]],
             messages: ["services.web.cap_add: must be a list, not a mapping"]),
        Case(name: "mapping expected", service: ["image": "x", "healthcheck": "curl"],
             messages: [#"services.web.healthcheck: must be a mapping, got "curl""#]),
        Case(name: "boolean", service: ["image": "x", "tty": "maybe"],
             messages: [#"services.web.tty: must be a boolean (true or false), got "maybe""#]),
        Case(name: "integer", service: ["image": "x", "scale": "two"],
             messages: [#"services.web.scale: must be an integer, got "two""#]),
        Case(name: "duration", service: ["image": "x", "healthcheck": ["interval": "10"]],
             messages: [#"services.web.healthcheck.interval: invalid duration "10" (use a number with a unit: 10ms, 40s, 1m30s, 1h)"#]),
        Case(name: "size", service: ["image": "x", "shm_size": "1x"],
             messages: [#"services.web.shm_size: invalid byte size "1x" (use bytes or a number with a unit: 100k, 512m, 1g)"#]),
        Case(name: "restart", service: ["image": "x", "restart": "sometimes"],
             messages: [#"services.web.restart: invalid restart policy "sometimes" (use no, always, on-failure[:max-retries] or unless-stopped)"#]),
        Case(name: "restart retries", service: ["image": "x", "restart": "on-failure:x"],
             messages: [#"services.web.restart: invalid restart policy "on-failure:x" (use no, always, on-failure[:max-retries] or unless-stopped)"#]),
        Case(name: "port", service: ["image": "x", "ports": ["80", "80:8o"]],
             messages: [#"services.web.ports[1]: invalid port "80:8o": "8o" is not a port or port range"#]),
        Case(name: "long port key", service: ["image": "x", "ports": [["target": "80", "publish": "8080"]]],
             messages: [#"services.web.ports[0]: unknown key "publish" (did you mean "published"?)"#]),
        Case(name: "depends_on condition", service: ["image": "x", "depends_on": ["db": ["condition": "service_healty"]]],
             messages: [#"services.web.depends_on.db.condition: invalid value "service_healty" (must be "service_started", "service_healthy" or "service_completed_successfully") (did you mean "service_healthy"?)"#]),
        Case(name: "depends_on missing condition", service: ["image": "x", "depends_on": ["db": ["required": "true"]]],
             messages: [#"services.web.depends_on.db: missing required key "condition""#]),
        Case(name: "pull_policy", service: ["image": "x", "pull_policy": "sometimes"],
             messages: [#"services.web.pull_policy: invalid pull_policy "sometimes" (use always, never, missing, build, daily, weekly or every_<duration>)"#]),
        Case(name: "volume mode", service: ["image": "x", "volumes": ["data:/d:rx"]],
             messages: [#"services.web.volumes[0]: invalid volume "data:/d:rx": unknown mode "rx" (use ro, rw, z, Z, nocopy or a propagation such as rshared)"#]),
        Case(name: "volume long type", service: ["image": "x", "volumes": [["type": "bnd", "target": "/x"]]],
             messages: [#"services.web.volumes[0].type: invalid value "bnd" (must be "bind", "volume", "tmpfs", "cluster", "npipe" or "image") (did you mean "bind"?)"#]),
        Case(name: "environment list or mapping", service: ["image": "x", "environment": "A=1"],
             messages: [#"services.web.environment: must be a mapping or a list, got "A=1""#]),
        Case(name: "no image nor build", service: ["command": "sleep"],
             messages: [#"services.web: has neither an image nor a build context (add "image:" or "build:")"#]),
        Case(name: "network_mode with networks", service: ["image": "x", "network_mode": "host", "networks": ["a"]],
             messages: [#"services.web.network_mode: cannot be combined with "networks" (<generated>)"#]),
        Case(name: "several problems together", service: ["image": "x", "tty": "maybe", "restart": "nope", "imagee": "y"],
             messages: [
                 #"services.web.tty: must be a boolean (true or false), got "maybe""#,
                 #"services.web.restart: invalid restart policy "nope" (use no, always, on-failure[:max-retries] or unless-stopped)"#,
                 #"services.web: unknown key "imagee" (did you mean "image"?)"#,
             ]),
        Case(name: "environment values may be numbers and bools", service: ["image": "x", "environment": ["A": "1", "B": "true", "C": ""]],
             messages: []),
        Case(name: "expose", service: ["image": "x", "expose": ["3000", "8000-8010/udp", "x"]],
             messages: [#"services.web.expose[2]: invalid exposed port "x""#]),
        Case(name: "extension in nested object", service: ["image": "x", "healthcheck": ["x-note": "ok", "test": "exit 0"]],
             messages: []),
        Case(name: "long port needs a target", service: ["image": "x", "ports": [["published": "80"]]],
             messages: [#"services.web.ports[0]: missing required key "target""#]),
        Case(name: "long volumes", service: ["image": "x", "volumes": [
            ["type": "bind", "target": "/a"],
            ["type": "volume", "source": "v", "target": "/b", "bind": ["propagation": "shared"]],
            ["type": "tmpfs", "source": "x", "target": "/c"],
            ["type": "volume", "source": "v"],
        ]], messages: [
            #"services.web.volumes[0]: a bind mount needs a "source" path"#,
            "services.web.volumes[1].bind: bind options don't apply to a mount of type volume",
            "services.web.volumes[2].source: a tmpfs mount has no source",
            #"services.web.volumes[3]: missing required key "target""#,
        ]),
        Case(name: "healthcheck test list", service: ["image": "x", "healthcheck": ["test": ["curl", "-f", "x"]]],
             messages: [#"services.web.healthcheck.test: a test list starts with "CMD", "CMD-SHELL" or "NONE" (e.g. ["CMD", "curl", "-f", "http://localhost"] or a string run by the shell)"#]),
        Case(name: "healthcheck CMD alone", service: ["image": "x", "healthcheck": ["test": ["CMD"]]],
             messages: ["services.web.healthcheck.test: CMD needs a command"]),
        Case(name: "build object", service: ["build": ["context": ".", "dockerfle": "Dockerfile"]],
             messages: [#"services.web.build: unknown key "dockerfle" (did you mean "dockerfile"?)"#]),
    ])
    func validates(_ c: Case) {
        #expect(Self.messages(c.service) == c.messages)
    }

    @Test func secretsAndConfigsNeedOneSource() {
        let root: Node = [
            "services": ["a": ["image": "x"]],
            "secrets": ["ok": ["file": "f"], "none": ["labels": ["a=b"]], "both": ["file": "f", "environment": "E"],
                        "content": ["content": "c"]],
            "configs": ["inline": ["content": "hello"], "ext": ["external": "true"]],
        ]
        let messages = Validator.validate(root).map { d in var d = d; d.mark = nil; return d.description }
        #expect(messages == [
            #"secrets.content: unknown key "content""#,
            "secrets.none: must set one of file, environment or external",
            "secrets.both: sets both file and environment; use only one",
            "secrets.content: must set one of file, environment or external",
        ])
    }

    @Test func topLevel() {
        let root: Node = [
            "version": quoted("3.8"),
            "services": ["a": ["image": "x"]],
            "volume": ["data": ""],
            "networks": ["n": ["driver": "bridge", "external": "maybe"]],
            "x-anchors": ["whatever": "1"],
        ]
        let messages = Validator.validate(root).map { d in
            var d = d
            d.mark = nil
            return "\(d.severity): \(d.description)"
        }
        #expect(messages == [
            #"error: unknown key "volume" (did you mean "volumes"?)"#,
            #"error: networks.n.external: must be a boolean (true or false), got "maybe""#,
            "warning: version: the attribute is obsolete and ignored",
        ])
    }
}
