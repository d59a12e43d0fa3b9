import Testing
import Compose
import YAML
@testable import Engine

/// The pure parts of `compose run` / `compose exec`: how overrides change a
/// service, `-v` parsing, `--entrypoint` splitting, which container exec picks.
@Suite struct OneOffTests {
    func project(_ yaml: String) throws -> Project {
        let root = try YAMLLoader.load(yaml, file: "compose.yaml")
        let (normalized, diagnostics) = Normalizer.normalize(root, context: NormalizeContext(
            workingDirectory: "/p", homeDirectory: "/root", environment: [:]))
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        return try Project(normalized: normalized)
    }

    static let yaml = """
        name: p
        services:
          web:
            image: busybox
            container_name: fixed
            command: ["httpd", "-f"]
            entrypoint: ["/init"]
            restart: always
            environment: {A: "1", B: "2"}
            ports: ["8080:80"]
            labels: {keep: "yes"}
            networks:
              default: {aliases: [www]}
        volumes:
          data: {}
        """

    @Test func overridesReplaceCommandEnvironmentUserAndDropPortsRestartAndName() throws {
        let web = try #require(try project(Self.yaml).service(named: "web"))
        var o = OneOffOverrides()
        o.command = ["sh", "-c", "echo"]
        o.environment = ["A=override", "HOSTVAR", "MISSING"]
        o.labels = ["extra": "1"]
        o.user = "nobody"
        o.workingDir = "/tmp"
        let svc = ComposeDriver.oneOffService(web, o, hostEnvironment: ["HOSTVAR": "from-host"])
        #expect(svc.command?.arguments == ["sh", "-c", "echo"])
        #expect(svc.entrypoint?.arguments == ["/init"])
        #expect(svc.environment["A"] == .some("override"))
        #expect(svc.environment["B"] == .some("2"))
        #expect(svc.environment["HOSTVAR"] == .some("from-host"))
        // Declared without a value and not in berth's environment: unset.
        #expect(svc.environment.keys.contains("MISSING") && svc.environment["MISSING"] == .some(nil))
        #expect(svc.labels == ["keep": "yes", "extra": "1"])
        #expect(svc.user == "nobody" && svc.workingDir == "/tmp")
        #expect(svc.ports.isEmpty)
        #expect(svc.restart == .no)
        #expect(svc.containerName == nil)
        // Compose gives a one-off only its container name on the network, unless --use-aliases.
        #expect(svc.networks["default"]?.aliases == [])
        o.useAliases = true
        #expect(ComposeDriver.oneOffService(web, o, hostEnvironment: [:]).networks["default"]?.aliases == ["www"])
    }

    @Test func entrypointResetsTheCommandUnlessOneIsGivenAndServicePortsKeepsPorts() throws {
        let web = try #require(try project(Self.yaml).service(named: "web"))
        var o = OneOffOverrides()
        o.entrypoint = ["sh", "-c"]
        o.servicePorts = true
        var svc = ComposeDriver.oneOffService(web, o, hostEnvironment: [:])
        #expect(svc.entrypoint?.arguments == ["sh", "-c"])
        #expect(svc.command == nil)
        #expect(svc.ports.count == 1)
        o.command = ["echo hi"]
        svc = ComposeDriver.oneOffService(web, o, hostEnvironment: [:])
        #expect(svc.command?.arguments == ["echo hi"])
        // No command and no entrypoint given: the service's own.
        svc = ComposeDriver.oneOffService(web, OneOffOverrides(), hostEnvironment: [:])
        #expect(svc.command?.arguments == ["httpd", "-f"])
    }

    @Test func oneOffNameIsComposes() {
        #expect(ComposeDriver.oneOffName(project: "p", service: "web", suffix: "0123456789ab") == "p-web-run-0123456789ab")
    }

    struct VolumeCase: Sendable, CustomTestStringConvertible {
        var spec: String
        var expected: OneOffVolume?
        var testDescription: String { spec }
    }

    @Test(arguments: [
        VolumeCase(spec: "/host:/c", expected: OneOffVolume(kind: .bind, source: "/host", target: "/c", readOnly: false)),
        VolumeCase(spec: "./src:/c:ro", expected: OneOffVolume(kind: .bind, source: "/p/src", target: "/c", readOnly: true)),
        VolumeCase(spec: "../up:/c:rw", expected: OneOffVolume(kind: .bind, source: "/up", target: "/c", readOnly: false)),
        VolumeCase(spec: "data:/d", expected: OneOffVolume(kind: .volume, source: "p_data", target: "/d", readOnly: false)),
        VolumeCase(spec: "other:/d", expected: OneOffVolume(kind: .volume, source: "other", target: "/d", readOnly: false)),
        VolumeCase(spec: "/anon", expected: OneOffVolume(kind: .volume, source: nil, target: "/anon", readOnly: false)),
        VolumeCase(spec: "data:relative", expected: nil),
        VolumeCase(spec: "data:/d:bogus", expected: nil),
        VolumeCase(spec: "a:b:c:d", expected: nil),
        VolumeCase(spec: ":/d", expected: nil),
        VolumeCase(spec: "bad name!:/d", expected: nil),
    ])
    func parsesRunVolumes(_ c: VolumeCase) throws {
        let p = try project(Self.yaml)
        if let expected = c.expected {
            #expect(try OneOffVolume.parse(c.spec, base: "/p", project: p) == expected)
        } else {
            #expect(throws: EngineError.self) { try OneOffVolume.parse(c.spec, base: "/p", project: p) }
        }
    }

    struct WordsCase: Sendable, CustomTestStringConvertible {
        var text: String
        var words: [String]?
        var testDescription: String { text }
    }

    @Test(arguments: [
        WordsCase(text: "sh -c", words: ["sh", "-c"]),
        WordsCase(text: "  echo   'a b'  \"c d\" ", words: ["echo", "a b", "c d"]),
        WordsCase(text: #"a\ b "x\"y" 'it''s'"#, words: ["a b", "x\"y", "its"]),
        WordsCase(text: "''", words: [""]),
        WordsCase(text: "", words: []),
        WordsCase(text: "echo 'open", words: nil),
        WordsCase(text: "trailing\\", words: nil),
    ])
    func splitsEntrypointLikeAShell(_ c: WordsCase) throws {
        if let words = c.words {
            #expect(try ShellWords.split(c.text) == words)
        } else {
            #expect(throws: EngineError.self) { try ShellWords.split(c.text) }
        }
    }

    func actual(_ service: String, _ n: Int, _ status: ActualContainer.Status, oneOff: Bool = false) -> ActualContainer {
        ActualContainer(id: "\(service)\(n)\(oneOff)", name: oneOff ? "p-\(service)-run-x" : "p-\(service)-\(n)",
                        service: service, number: n, oneOff: oneOff, configHash: "h", status: status)
    }

    @Test func execPicksTheRunningContainerOfTheIndexWithComposesErrors() throws {
        let containers = [actual("web", 2, .running), actual("web", 1, .running), actual("web", 3, .exited(0)),
                          actual("db", 1, .exited(1)), actual("db", 1, .running, oneOff: true)]
        #expect(try ComposeDriver.runningContainer(containers, service: "web", index: 1).name == "p-web-1")
        #expect(try ComposeDriver.runningContainer(containers, service: "web", index: 2).name == "p-web-2")
        let exited = #expect(throws: EngineError.self) {
            try ComposeDriver.runningContainer(containers, service: "web", index: 3)
        }
        #expect(exited?.message == "service \"web\" is not running container #3")
        // A running one-off does not make the service running.
        let db = #expect(throws: EngineError.self) { try ComposeDriver.runningContainer(containers, service: "db", index: 1) }
        #expect(db?.message == "service \"db\" is not running")
    }
}
