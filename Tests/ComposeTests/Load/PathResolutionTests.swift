import Testing
import YAML
@testable import Compose

@Suite struct PathResolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var service: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "build string", service: "build: ./app", expected: "{build: /base/app}"),
        Case(name: "build context, dockerfile stays", service: "build: {context: ../ctx, dockerfile: docker/Dockerfile}",
             expected: "{build: {context: /ctx, dockerfile: docker/Dockerfile}}"),
        Case(name: "build URL untouched", service: "build: https://github.com/a/b.git#main",
             expected: "{build: https://github.com/a/b.git#main}"),
        Case(name: "build git@ untouched", service: "build: {context: 'git@github.com:a/b.git'}",
             expected: "{build: {context: git@github.com:a/b.git}}"),
        Case(name: "additional contexts", service: "build: {context: ., additional_contexts: {a: ./x, b: 'docker-image://alpine', c: 'service:web'}}",
             expected: "{build: {context: /base, additional_contexts: {a: /base/x, b: docker-image://alpine, c: service:web}}}"),
        Case(name: "env_file string", service: "env_file: .env.web", expected: "{env_file: /base/.env.web}"),
        Case(name: "env_file list and long form", service: "env_file: [a.env, {path: /abs.env, required: false}, {path: ../b.env}]",
             expected: "{env_file: [/base/a.env, {path: /abs.env, required: false}, {path: /b.env}]}"),
        Case(name: "label_file", service: "label_file: [./l]", expected: "{label_file: [/base/l]}"),
        Case(name: "volume short relative", service: "volumes: ['./data:/data:ro', '../up:/up', '.:/code']",
             expected: "{volumes: [/base/data:/data:ro, /up:/up, /base:/code]}"),
        Case(name: "volume short home", service: "volumes: ['~/cache:/c', '~:/h']",
             expected: "{volumes: [/home/u/cache:/c, /home/u:/h]}"),
        Case(name: "named and absolute volumes untouched", service: "volumes: ['named:/n', '/abs:/a', '/anon']",
             expected: "{volumes: [named:/n, /abs:/a, /anon]}"),
        Case(name: "long bind source", service: "volumes: [{type: bind, source: ./src, target: /s}, {type: volume, source: v, target: /v}]",
             expected: "{volumes: [{type: bind, source: /base/src, target: /s}, {type: volume, source: v, target: /v}]}"),
        Case(name: "extends file", service: "extends: {file: ../common.yaml, service: base}",
             expected: "{extends: {file: /common.yaml, service: base}}"),
        Case(name: "develop.watch path", service: "develop: {watch: [{path: ./src, action: sync, target: /app}]}",
             expected: "{develop: {watch: [{path: /base/src, action: sync, target: /app}]}}"),
    ]

    @Test(arguments: cases)
    func resolvesServicePaths(_ c: Case) throws {
        let doc = try yaml("services:\n  s: {\(c.service)}\n")
        let resolved = PathResolution.resolve(doc, base: "/base", home: "/home/u")
        #expect(resolved["services"]?["s"]?.flow == c.expected)
    }

    /// A long `services` mapping is resolved in two halves at once, with
    /// the result of resolving it in one piece.
    @Test func longServicesMappingInHalves() throws {
        var text = "services:\n"
        for i in 0..<(PathResolution.splitThreshold + 7) {
            text += "  s\(i): {build: ./app\(i), volumes: ['./d\(i):/d', 'named:/n'], env_file: [e\(i).env]}\n"
        }
        text += "secrets:\n  s: {file: ./s.txt}\n"
        let doc = try yaml(text)
        let resolved = PathResolution.resolve(doc, base: "/base", home: "/home/u")
        let r = PathResolution.Resolver(base: "/base", home: "/home/u")
        let oneByOne = try #require(doc["services"]?.mappingPairs).map { Node.Pair(key: $0.key, value: r.service($0.value)) }
        #expect(resolved["services"]?.mappingPairs == oneByOne)
        #expect(resolved["services"]?["s70"]?.flow == "{build: /base/app70, volumes: [/base/d70:/d, named:/n], env_file: [/base/e70.env]}")
        #expect(resolved["secrets"]?["s"]?["file"]?.scalarValue == "/base/s.txt")
    }

    @Test func topLevelFilesAndIncludes() throws {
        let doc = try yaml("""
        secrets:
          s: {file: ./s.txt}
          e: {environment: X}
        configs:
          c: {file: conf/c.txt}
        include:
          - ./sub/compose.yaml
          - path: [../a.yaml, b.yaml]
            project_directory: ..
            env_file: [./x.env]
        """)
        let resolved = PathResolution.resolve(doc, base: "/base/dir", home: "/home/u")
        #expect(resolved.flow == "{secrets: {s: {file: /base/dir/s.txt}, e: {environment: X}}, configs: {c: {file: /base/dir/conf/c.txt}}, include: [/base/dir/sub/compose.yaml, {path: [/base/a.yaml, /base/dir/b.yaml], project_directory: /base, env_file: [/base/dir/x.env]}]}")
    }

    @Test func overrideFileResolvesAgainstItsOwnDirectory() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  a: {image: a, volumes: ['./one:/one']}\n",
            "/p/overrides/dev.yaml": "services:\n  a: {volumes: ['./two:/two'], env_file: local.env}\n",
            "/p/overrides/local.env": "X=1\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml", "overrides/dev.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?["a"]?.flow == "{image: a, volumes: [/p/one:/one, /p/overrides/two:/two], environment: {X: 1}}")
    }

    @Test func explicitProjectDirectoryIsTheBaseForEveryFile() throws {
        let fs = memoryFS([
            "/p/files/compose.yaml": "services:\n  a: {image: a, build: ., volumes: ['./one:/one']}\n",
            "/p/root/.env": "TAG=fromroot\n",
        ])
        let project = try assemble(loadOptions(files: ["files/compose.yaml"]) { $0.projectDirectory = "root" },
                                             fileSystem: fs)
        #expect(project.projectDirectory == "/p/root")
        #expect(project.name == "root")
        #expect(project.environment["TAG"] == "fromroot")
        #expect(project.model["services"]?["a"]?.flow == "{image: a, build: /p/root, volumes: [/p/root/one:/one]}")
    }
}
