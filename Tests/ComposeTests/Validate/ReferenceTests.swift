import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ReferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var project: Node
        var messages: [String]
        var testDescription: String { name }
    }

    static func check(_ project: Node) -> [String] {
        let (normalized, _) = Normalizer.normalize(project, context: testContext)
        return Validator.checkReferences(normalized).map { d in
            var d = d
            d.mark = nil
            return d.description
        }
    }

    @Test(arguments: [
        Case(name: "all defined", project: [
            "services": [
                "web": ["image": "x", "depends_on": ["db"], "networks": ["front"], "volumes": ["data:/d", "./x:/x", "/anon"],
                        "secrets": ["token"], "configs": [["source": "cfg"]], "ports": ["8080:80"]],
                "db": ["image": "x", "volumes_from": ["web:ro"]],
                "side": ["image": "x", "network_mode": "service:db"],
            ],
            "networks": ["front": ""], "volumes": ["data": ""], "secrets": ["token": ["file": "t"]],
            "configs": ["cfg": ["file": "c"]],
        ], messages: [
            "services.db: dependency cycle: db → web → db",
        ]),
        Case(name: "undefined resources", project: [
            "services": ["web": ["image": "x", "networks": ["frnt"], "volumes": ["dat:/d"], "secrets": ["tok"],
                                 "configs": ["cfg"]]],
            "networks": ["front": ""], "volumes": ["data": ""],
        ], messages: [
            #"services.web.networks: refers to undefined network "frnt" (did you mean "front"?)"#,
            #"services.web.volumes[0]: refers to undefined volume "dat" (did you mean "data"?)"#,
            #"services.web.secrets[0]: refers to undefined secret "tok" (define it under the top-level "secrets" key)"#,
            #"services.web.configs[0]: refers to undefined config "cfg" (define it under the top-level "configs" key)"#,
        ]),
        Case(name: "unknown services", project: [
            "services": [
                "web": ["image": "x", "depends_on": ["dbb"], "network_mode": "service:nope", "volumes_from": ["service:gone", "container:c"],
                        "links": ["db:database"]],
                "db": ["image": "x"],
            ],
        ], messages: [
            #"services.web.depends_on: depends on undefined service "dbb" (did you mean "db"?)"#,
            #"services.web.network_mode: uses the network of undefined service "nope""#,
            #"services.web.volumes_from[0]: mounts volumes from undefined service "gone""#,
        ]),
        Case(name: "an entry listed twice (found by the fuzzer)", project: [
            "services": [
                "web": ["image": "x", "depends_on": ["db", "db"], "networks": ["front", "front"]],
                "db": ["image": "x"],
            ],
            "networks": ["front": ""],
        ], messages: [
            #"services.web.depends_on: "db" is listed twice (first at line 0) (list each entry once)"#,
            #"services.web.networks: "front" is listed twice (first at line 0) (list each entry once)"#,
        ]),
        Case(name: "duplicate published ports", project: [
            "services": [
                "a": ["image": "x", "ports": ["8080:80", "127.0.0.1:9000:90", "53:53/udp"]],
                "b": ["image": "x", "ports": ["8080:81", "127.0.0.2:9000:90", "53:53/tcp", "8000-8001:80-81"]],
                "c": ["image": "x", "ports": [["target": "1", "published": "8000"], ["target": "2", "host_ip": "127.0.0.1", "published": "9000"]]],
            ],
        ], messages: [
            "services.b.ports[0]: host port 8080/tcp is already published by services.a.ports[0]",
            "services.c.ports[0]: host port 8000/tcp is already published by services.b.ports[3]",
            "services.c.ports[1]: host port 127.0.0.1:9000/tcp is already published by services.a.ports[1]",
        ]),
        Case(name: "cycle of three", project: [
            "services": [
                "a": ["image": "x", "depends_on": ["b"]],
                "b": ["image": "x", "depends_on": ["c"]],
                "c": ["image": "x", "depends_on": ["a"]],
                "d": ["image": "x", "depends_on": ["a"]],
            ],
        ], messages: ["services.a: dependency cycle: a → b → c → a"]),
        Case(name: "container names", project: [
            "services": [
                "a": ["image": "x", "container_name": "app"],
                "b": ["image": "x", "container_name": "app"],
                "c": ["image": "x", "container_name": "solo", "deploy": ["replicas": "2"]],
            ],
        ], messages: [
            #"services.b.container_name: container name "app" is already used by service "a""#,
            "services.c.container_name: a fixed container name cannot be used with 2 replicas (remove container_name to scale the service)",
        ]),
        Case(name: "self dependency", project: [
            "services": ["a": ["image": "x", "depends_on": ["a"]]],
        ], messages: ["services.a: dependency cycle: a → a"]),
        Case(name: "extends in same file", project: [
            "services": ["a": ["image": "x", "extends": "base"], "b": ["image": "x", "extends": ["service": "a"]]],
        ], messages: [#"services.a.extends: extends undefined service "base""#]),
    ])
    func references(_ c: Case) {
        #expect(Self.check(c.project) == c.messages)
    }
}
