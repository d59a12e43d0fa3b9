import Diagnostics
import Testing
import YAML
@testable import Compose

/// Validation and normalization from YAML text: every message names
/// file:line:column and the key path.
@Suite struct ValidatorYAMLTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var messages: [String]
        var testDescription: String { name }
    }

    static func diagnose(_ yaml: String) throws -> [String] {
        let root = try YAMLLoader.load(yaml, file: "compose.yaml")
        var diagnostics = Validator.validate(root)
        if !diagnostics.hasErrors {
            let (normalized, more) = Normalizer.normalize(root.setting("name", to: .scalar("p")), context: testContext)
            diagnostics += more
            if !more.hasErrors { diagnostics += Validator.checkReferences(normalized) }
        }
        return diagnostics.sortedByPosition().map(\.description)
    }

    @Test(arguments: [
        Case(name: "valid", yaml: """
            services:
              web:
                image: nginx
                ports: ["8080:80", 443]
                restart: "no"
                tty: yes
            """, messages: []),
        Case(name: "bad port", yaml: """
            services:
              web:
                image: nginx
                ports:
                  - "80:80"
                  - "80:8o"
            """, messages: [#"compose.yaml:6:9: services.web.ports[1]: invalid port "80:8o": "8o" is not a port or port range"#]),
        Case(name: "unknown key", yaml: """
            services:
              web:
                image: nginx
                helthcheck:
                  test: ["CMD", "true"]
            """, messages: [#"compose.yaml:4:5: services.web: unknown key "helthcheck" (did you mean "healthcheck"?)"#]),
        Case(name: "boolean where a string is needed", yaml: """
            services:
              web:
                image: nginx
                user: 1000
                hostname: false
            """, messages: [#"compose.yaml:5:15: services.web.hostname: must be a string, got a boolean false (quote it: "false")"#]),
        Case(name: "several problems, sorted by position", yaml: """
            services:
              web:
                image: nginx
                stop_grace_period: 10
                mem_limit: lots
              db:
                image: postgres
                depends_on:
                  web:
                    condition: started
            """, messages: [
                #"compose.yaml:4:24: services.web.stop_grace_period: invalid duration "10" (use a number with a unit: 10ms, 40s, 1m30s, 1h)"#,
                #"compose.yaml:5:16: services.web.mem_limit: invalid byte size "lots" (use bytes or a number with a unit: 100k, 512m, 1g)"#,
                #"compose.yaml:10:20: services.db.depends_on.web.condition: invalid value "started" (must be "service_started", "service_healthy" or "service_completed_successfully")"#,
            ]),
        Case(name: "environment values stay strings; booleans only where booleans go", yaml: """
            services:
              web:
                image: nginx
                environment:
                  DEBUG: yes
                  RETRIES: 3
                read_only: on
            """, messages: []),
        Case(name: "undefined references", yaml: """
            services:
              web:
                image: nginx
                networks: [front]
                volumes:
                  - data:/data
                depends_on: [dbb]
              db:
                image: postgres
            """, messages: [
                #"compose.yaml:4:16: services.web.networks: refers to undefined network "front" (define it under the top-level "networks" key)"#,
                #"compose.yaml:6:9: services.web.volumes[0]: refers to undefined volume "data" (define it under the top-level "volumes" key)"#,
                #"compose.yaml:7:18: services.web.depends_on: depends on undefined service "dbb" (did you mean "db"?)"#,
            ]),
        Case(name: "cycle", yaml: """
            services:
              a:
                image: x
                depends_on: [b]
              b:
                image: x
                depends_on: [a]
            """, messages: ["compose.yaml:2:3: services.a: dependency cycle: a → b → a"]),
        Case(name: "duplicate published port", yaml: """
            services:
              a:
                image: x
                ports: ["8080:80"]
              b:
                image: x
                ports:
                  - target: 81
                    published: 8080
            """, messages: ["compose.yaml:8:9: services.b.ports[0]: host port 8080/tcp is already published by services.a.ports[0]"]),
        Case(name: "scale conflict", yaml: """
            services:
              a:
                image: x
                scale: 2
                deploy:
                  replicas: 3
            """, messages: ["compose.yaml:4:12: services.a.scale: conflicts with deploy.replicas (2 ≠ 3, set at compose.yaml:6:17)"]),
        Case(name: "mac addresses", yaml: """
            services:
              a:
                image: x
                mac_address: "02:42:ac:11:00:0g"
                networks:
                  front:
                    mac_address: 01:00:5e:00:00:01
                  back:
                    mac_address: 02-42-ac-11-00-09
            networks: {front: {}, back: {}}
            """, messages: [
                #"compose.yaml:4:18: services.a.mac_address: invalid MAC address "02:42:ac:11:00:0g" (expected six hex pairs such as 02:42:ac:11:00:02)"#,
                #"compose.yaml:7:22: services.a.networks.front.mac_address: invalid MAC address "01:00:5e:00:00:01": a multicast address cannot be an interface's address (the first byte must be even, e.g. 02)"#,
            ]),
        Case(name: "network modes", yaml: """
            services:
              a:
                image: x
                network_mode: bridge
              b:
                image: x
                network_mode: "service:"
              c:
                image: x
                network_mode: none
            """, messages: [
                #"compose.yaml:4:19: services.a.network_mode: unsupported network_mode "bridge" (berth supports host, none, service:NAME and container:NAME; to join a network, use "networks:")"#,
                #"compose.yaml:7:19: services.b.network_mode: network_mode "service:" needs a name after "service:""#,
            ]),
        Case(name: "ports and mac with a shared network namespace", yaml: """
            services:
              vpn:
                image: x
                ports: ["8080:80"]
              app:
                image: x
                network_mode: service:vpn
                ports: ["9090:90"]
                mac_address: 02:42:ac:11:00:09
                hostname: app
                extra_hosts: ["db:10.0.0.2"]
              other:
                image: x
                network_mode: host
                hostname: fine
            """, messages: [
                #"compose.yaml:8:12: services.app.ports: conflicting options: port publishing and the container type network mode ("service:vpn") (publish the ports on the service or container whose network this one uses)"#,
                #"compose.yaml:9:18: services.app.mac_address: conflicting options: mac_address and the network mode "service:vpn""#,
                #"compose.yaml:10:15: services.app.hostname: conflicting options: hostname and the network mode "service:vpn" (the container uses the hostname, /etc/hosts and /etc/resolv.conf of the one whose network it shares)"#,
                #"compose.yaml:11:18: services.app.extra_hosts: conflicting options: extra_hosts and the network mode "service:vpn" (the container uses the hostname, /etc/hosts and /etc/resolv.conf of the one whose network it shares)"#,
            ]),
    ])
    func diagnostics(_ c: Case) throws {
        #expect(try Self.diagnose(c.yaml) == c.messages)
    }

    /// normalize → emit → load → normalize gives the same tree.
    @Test func normalizedFormRoundTrips() throws {
        let yaml = """
            name: shop
            services:
              web:
                build: ./web
                command: echo "hi there"
                ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp"]
                volumes: ["./html:/html:ro", "cache:/cache", "/anon"]
                environment: [A=1, B=yes, C]
                depends_on: [db]
                healthcheck: {test: curl -f localhost, interval: 90s}
                deploy: {replicas: 2}
                x-note: kept
              db:
                image: postgres
                networks: [back]
                secrets: [pw]
            networks: {back: {}}
            volumes: {cache: }
            secrets: {pw: {file: ./pw.txt}}
            x-top: {a: 1}
            """
        let root = try YAMLLoader.load(yaml, file: "compose.yaml")
        #expect(Validator.validate(root).isEmpty)
        let (first, d1) = Normalizer.normalize(root, context: testContext)
        #expect(d1.isEmpty)
        #expect(Validator.checkReferences(first).isEmpty)
        let text = try YAMLEmitter.emit(first)
        let reloaded = try YAMLLoader.load(text, file: "normalized.yaml")
        #expect(Validator.validate(reloaded).isEmpty)
        let (second, d2) = Normalizer.normalize(reloaded, context: testContext)
        #expect(d2.isEmpty)
        #expect(render(second) == render(first))
        let project = try Project(normalized: second)
        #expect(try Project(normalized: first).services.map(ServiceGraph.configHash) == project.services.map(ServiceGraph.configHash))
        #expect(project.service(named: "web")?.environment["B"] == "yes")
        #expect(project.service(named: "web")?.ports.count == 3)
    }
}
