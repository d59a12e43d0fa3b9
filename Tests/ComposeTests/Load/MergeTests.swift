import Testing
import YAML
@testable import Compose

@Suite struct MergeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var base: String
        var override: String
        var expected: String
        var testDescription: String { name }
    }

    /// Each case merges `services.s.<…>` of two files.
    static let cases: [Case] = [
        Case(name: "mapping deep merge", base: "image: a\nuser: root", override: "image: b\ntty: true",
             expected: "{image: b, user: root, tty: true}"),
        Case(name: "generic sequence appended", base: "runtime_args: [a]", override: "runtime_args: [b]",
             expected: "{runtime_args: [a, b]}"),
        Case(name: "command replaced", base: "command: [echo, foo]", override: "command: [echo, bar]",
             expected: "{command: [echo, bar]}"),
        Case(name: "entrypoint replaced", base: "entrypoint: [a, b]", override: "entrypoint: sh",
             expected: "{entrypoint: sh}"),
        Case(name: "healthcheck.test replaced, rest merged",
             base: "healthcheck: {test: [CMD, a], interval: 5s}", override: "healthcheck: {test: [CMD, b]}",
             expected: "{healthcheck: {test: [CMD, b], interval: 5s}}"),
        Case(name: "environment map by key", base: "environment: {A: '1', B: '2'}", override: "environment: {B: '3', C: '4'}",
             expected: "{environment: {A: 1, B: 3, C: 4}}"),
        Case(name: "environment lists by key", base: "environment: [A=1, B=2]", override: "environment: [B=3, C=4]",
             expected: "{environment: [A=1, B=3, C=4]}"),
        Case(name: "environment list onto map", base: "environment: {A: '1'}", override: "environment: [A=2, B]",
             expected: "{environment: {A: 2, B: null}}"),
        Case(name: "labels map onto list", base: "labels: [x=1]", override: "labels: {y: '2'}",
             expected: "{labels: {x: 1, y: 2}}"),
        Case(name: "ports unique by ip/published/target/protocol",
             base: "ports: ['8080:80', '53:53/udp']", override: "ports: ['8080:80', '53:53', '127.0.0.1:9000:9000']",
             expected: "{ports: [8080:80, 53:53/udp, 53:53, 127.0.0.1:9000:9000]}"),
        Case(name: "ports long and short share a key",
             base: "ports: ['8080:80']", override: "ports: [{target: 80, published: '8080', protocol: tcp, mode: host}]",
             expected: "{ports: [{target: 80, published: 8080, protocol: tcp, mode: host}]}"),
        Case(name: "volumes unique by target", base: "volumes: ['foo:/work', '/a:/a']", override: "volumes: ['bar:/work']",
             expected: "{volumes: [bar:/work, /a:/a]}"),
        Case(name: "volumes long form by target", base: "volumes: ['foo:/work']",
             override: "volumes: [{type: volume, source: bar, target: /work}]",
             expected: "{volumes: [{type: volume, source: bar, target: /work}]}"),
        Case(name: "secrets unique by target or source", base: "secrets: [a, {source: b, target: t}]",
             override: "secrets: [a, {source: c, target: t}]", expected: "{secrets: [a, {source: c, target: t}]}"),
        Case(name: "configs unique", base: "configs: [a]", override: "configs: [a, b]", expected: "{configs: [a, b]}"),
        Case(name: "expose unique", base: "expose: ['80', '81']", override: "expose: ['81', '82']",
             expected: "{expose: [80, 81, 82]}"),
        Case(name: "dns string and list", base: "dns: 1.1.1.1", override: "dns: [8.8.8.8, 1.1.1.1]",
             expected: "{dns: [1.1.1.1, 8.8.8.8]}"),
        Case(name: "dns_search unique", base: "dns_search: [a]", override: "dns_search: [a, b]",
             expected: "{dns_search: [a, b]}"),
        Case(name: "tmpfs unique", base: "tmpfs: /run", override: "tmpfs: [/run, /tmp]", expected: "{tmpfs: [/run, /tmp]}"),
        Case(name: "extra_hosts by host", base: "extra_hosts: ['db:10.0.0.1', 'x=1.1.1.1']",
             override: "extra_hosts: ['db=10.0.0.2']", expected: "{extra_hosts: [db=10.0.0.2, x=1.1.1.1]}"),
        Case(name: "devices by container path", base: "devices: ['/dev/a:/dev/x']", override: "devices: ['/dev/b:/dev/x:r']",
             expected: "{devices: [/dev/b:/dev/x:r]}"),
        Case(name: "ulimits deep, shape change replaces", base: "ulimits: {nproc: 10, nofile: {soft: 1, hard: 2}}",
             override: "ulimits: {nofile: {soft: 5}, nproc: {soft: 1, hard: 3}}",
             expected: "{ulimits: {nproc: {soft: 1, hard: 3}, nofile: {soft: 5, hard: 2}}}"),
        Case(name: "networks list onto map", base: "networks: {front: {aliases: [a]}}", override: "networks: [back]",
             expected: "{networks: {front: {aliases: [a]}, back: null}}"),
        Case(name: "networks lists unique", base: "networks: [a, b]", override: "networks: [b, c]",
             expected: "{networks: [a, b, c]}"),
        Case(name: "depends_on list onto map", base: "depends_on: {db: {condition: service_healthy}}",
             override: "depends_on: [cache, db]",
             expected: "{depends_on: {db: {condition: service_started}, cache: {condition: service_started}}}"),
        Case(name: "build string onto mapping", base: "build: {context: /a, dockerfile: D}", override: "build: /b",
             expected: "{build: {context: /b, dockerfile: D}}"),
        Case(name: "build.args by key", base: "build: {args: [A=1]}", override: "build: {args: {B: '2'}}",
             expected: "{build: {args: {A: 1, B: 2}}}"),
        Case(name: "logging driver change replaces", base: "logging: {driver: syslog, options: {a: '1'}}",
             override: "logging: {driver: json-file}", expected: "{logging: {driver: json-file}}"),
        Case(name: "logging same driver merges", base: "logging: {driver: syslog, options: {a: '1'}}",
             override: "logging: {options: {b: '2'}}", expected: "{logging: {driver: syslog, options: {a: 1, b: 2}}}"),
        Case(name: "env_file appended", base: "env_file: a.env", override: "env_file: [b.env]",
             expected: "{env_file: [a.env, b.env]}"),
        Case(name: "profiles unique", base: "profiles: [x]", override: "profiles: [x, y]", expected: "{profiles: [x, y]}"),
        Case(name: "!reset removes a key", base: "image: a\nports: ['80:80']", override: "ports: !reset []",
             expected: "{image: a}"),
        Case(name: "!reset removes one environment entry", base: "environment: {FOO: BAR, KEEP: '1'}",
             override: "environment: {FOO: !reset null}", expected: "{environment: {KEEP: 1}}"),
        Case(name: "!reset on a key absent below is dropped", base: "image: a", override: "command: !reset null",
             expected: "{image: a}"),
        Case(name: "!override replaces a sequence", base: "ports: ['8080:80']", override: "ports: !override ['8443:443']",
             expected: "{ports: [8443:443]}"),
        Case(name: "!override replaces a mapping", base: "environment: {A: '1'}", override: "environment: !override {B: '2'}",
             expected: "{environment: {B: 2}}"),
    ]

    @Test(arguments: cases)
    func mergesServiceKey(_ c: Case) throws {
        func doc(_ body: String, _ file: String) throws -> Node {
            let indented = body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
            return try yaml("services:\n  s:\n" + indented + "\n", file: file)
        }
        let merged = Merger.merge(documents: [try doc(c.base, "a.yaml"), try doc(c.override, "b.yaml")])
        #expect(merged["services"]?["s"]?.flow == c.expected)
    }

    @Test func mergedValuesKeepTheirFilesMark() throws {
        let a = try yaml("services:\n  web:\n    image: a\n    user: root\n", file: "a.yaml")
        let b = try yaml("services:\n  web:\n    image: b\n", file: "b.yaml")
        let merged = Merger.merge(documents: [a, b])
        #expect(merged["services"]?["web"]?["image"]?.mark.description == "b.yaml:3:12")
        #expect(merged["services"]?["web"]?["user"]?.mark.description == "a.yaml:4:11")
    }

    @Test func singleFileTagsAreStripped() throws {
        let a = try yaml("services:\n  web:\n    image: a\n    ports: !reset []\n    command: !override [x]\n")
        let merged = Merger.merge(documents: [a])
        #expect(merged.flow == "{services: {web: {image: a, command: [x]}}}")
    }

    /// A single untagged file merged without looking for tags is the
    /// file as `merge(documents:)` gives it (same nodes, same marks).
    @Test func untaggedSingleFileMergesWithoutStripping() throws {
        let a = try yaml("name: p\nservices:\n  web: {image: a, ports: ['80:80'], environment: {A: '1'}}\nvolumes:\n  v: {}\n")
        let checked = Merger.merge(documents: [a])
        let trusted = Merger.merge(documents: [a], tagged: false)
        #expect(trusted == checked)
        #expect(trusted.flow == "{name: p, services: {web: {image: a, ports: [80:80], environment: {A: 1}}}, volumes: {v: {}}}")
    }

    /// The loader only skips the search for `!reset`/`!override` when no
    /// file it parsed had a tag: a tagged file still has them stripped.
    @Test func loaderStripsTagsOfATaggedFile() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  web:\n    image: a\n    ports: !reset []\n    command: !override [x]\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?["web"]?.flow == "{image: a, command: [x]}")
        #expect(project.model["services"]?["web"]?["command"]?.tag == nil)
    }

    @Test func topLevelResourcesMerge() throws {
        let a = try yaml("networks:\n  n: {labels: [a=1], ipam: {config: [{subnet: 10.0.0.0/24}]}}\nvolumes:\n  v: {}\n")
        let b = try yaml("networks:\n  n: {labels: {b: '2'}, ipam: {config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]}}\n")
        let merged = Merger.merge(documents: [a, b])
        #expect(merged.flow == "{networks: {n: {labels: {a: 1, b: 2}, ipam: {config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]}}}, volumes: {v: {}}}")
    }

    @Test(arguments: [
        ("80", "||80|tcp"), ("8080:80", "|8080|80|tcp"), ("127.0.0.1:8080:80/udp", "127.0.0.1|8080|80|udp"),
        ("[::1]:8080:80", "::1|8080|80|tcp"), ("::1:8080:80", "::1|8080|80|tcp"), ("9000-9001:9000-9001", "|9000-9001|9000-9001|tcp"),
    ])
    func portKeys(_ text: String, _ key: String) {
        #expect(Merger.portKey(text) == key)
    }
}
