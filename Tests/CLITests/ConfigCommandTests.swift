import BerthTestSupport
import Foundation
import Testing
import ImageStore
import OCI
import YAML
@testable import BerthCLI

/// `berth config` run as a process: output, warnings on stderr, exit codes.
@Suite struct ConfigCommandTests {
    /// A temporary project directory holding `files`; removed afterwards.
    func withProject(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("berth-config-\(UInt32.random(in: 0...UInt32.max))")
            .appendingPathComponent("demo")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try body(dir)
    }

    func berth(_ args: [String], in dir: URL, stdin: String? = nil,
               environment: [String: String] = [:]) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("COMPOSE_") { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        return try runProcess(Repository.berthExecutable, args, environment: env, directory: dir,
                              stdin: stdin.map { Data($0.utf8) })
    }

    static let stack = """
    services:
      web:
        image: nginx:${TAG:-1.27}
        ports: ["8080:80"]
        depends_on: [db]
        profiles: [front]
      db:
        image: postgres:16
        volumes: [data:/var/lib/postgresql/data]
        environment: [POSTGRES_PASSWORD=pw]
      tools:
        build: ./tools
        profiles: [debug]
    volumes:
      data: {}
    networks:
      back: {}
    """

    @Test func printsTheNormalizedProjectAsYAML() throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let r = try berth(["config", "--profile", "front"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr == "")
            #expect(r.stdout == """
            name: demo
            services:
              db:
                environment:
                  POSTGRES_PASSWORD: pw
                image: postgres:16
                networks:
                  default: null
                volumes:
                - type: volume
                  source: data
                  target: /var/lib/postgresql/data
                  volume: {}
              web:
                depends_on:
                  db:
                    condition: service_started
                    required: true
                image: nginx:1.27
                networks:
                  default: null
                ports:
                - mode: ingress
                  target: 80
                  published: "8080"
                  protocol: tcp
                profiles:
                - front
            networks:
              back: {}
              default: {}
            volumes:
              data: {}

            """)
        }
    }

    @Test func composeGroupAndDockerWordOrder() throws {
        try withProject(["app.yaml": Self.stack]) { dir in
            for args in [["compose", "config", "-f", "app.yaml", "--services"],
                         ["-f", "app.yaml", "config", "--services"],
                         ["compose", "--file=app.yaml", "-p", "other", "config", "--services"]] {
                let r = try berth(args, in: dir)
                #expect(r.status == 0, "\(args): \(r.stderr)")
                #expect(r.stdout == "db\n", "\(args)")
            }
        }
    }

    struct ListCase: CustomTestStringConvertible, Sendable {
        var name: String
        var args: [String]
        var expected: String
        var testDescription: String { name }
    }

    static let lists: [ListCase] = [
        ListCase(name: "services (profiles applied)", args: ["--services"], expected: "db\n"),
        ListCase(name: "services with a profile", args: ["--profile", "debug", "--services"], expected: "db\ntools\n"),
        ListCase(name: "volumes", args: ["--volumes"], expected: "data\n"),
        ListCase(name: "networks", args: ["--networks"], expected: "back\ndefault\n"),
        ListCase(name: "profiles (all of them)", args: ["--profiles"], expected: "debug\nfront\n"),
        ListCase(name: "images (built ones named project-service)", args: ["--profile", "*", "--images"],
                 expected: "postgres:16\ndemo-tools\nnginx:1.27\n"),
        ListCase(name: "a selected service brings its dependencies", args: ["--services", "web"], expected: "db\nweb\n"),
        ListCase(name: "a selected service alone", args: ["--services", "db"], expected: "db\n"),
        ListCase(name: "a selected service outside the active profiles", args: ["--services", "tools"],
                 expected: "tools\n"),
    ]

    @Test(arguments: lists)
    func listFlags(_ c: ListCase) throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let r = try berth(["config"] + c.args, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == c.expected)
        }
    }

    @Test func hashes() throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let all = try berth(["config", "--hash", "*"], in: dir)
            #expect(all.status == 0, "\(all.stderr)")
            let lines = all.stdout.split(separator: "\n")
            #expect(lines.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["db"])
            #expect(lines.allSatisfy { $0.split(separator: " ").last?.count == 64 })
            let again = try berth(["config", "--hash", "db"], in: dir)
            #expect(again.stdout == all.stdout)
            let changed = try berth(["config", "--hash", "db"], in: dir, environment: ["TAG": "2"])
            #expect(changed.stdout == all.stdout, "db does not use TAG")
            let unknown = try berth(["config", "--hash", "nope"], in: dir)
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "Error: no such service: nope\n")
        }
    }

    @Test func jsonFormat() throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let r = try berth(["config", "--format", "json"], in: dir)
            #expect(r.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            #expect(object?["name"] as? String == "demo")
            #expect((object?["services"] as? [String: Any])?.keys.sorted() == ["db"])
        }
    }

    @Test func quietValidatesOnly() throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let r = try berth(["config", "-q"], in: dir)
            #expect(r.status == 0)
            #expect(r.stdout == "")
        }
    }

    @Test func errorsArePositionedWithExitCode1() throws {
        try withProject(["compose.yaml": "services:\n  web:\n    image: nginx\n    prots: ['80']\n    command: ${X:?set X}\n"]) { dir in
            let r = try berth(["config"], in: dir)
            #expect(r.status == 1)
            #expect(r.stdout == "")
            // Loader and schema errors are reported together, by position.
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("error: compose.yaml:4:5: services.web: unknown key \"prots\"") == true)
            #expect(lines.last == "error: compose.yaml:5:14: services.web.command: required variable \"X\" is missing a value: set X")
        }
    }

    /// The tree is rendered while references are checked: a reference
    /// error still leaves stdout empty, with the warnings before it.
    @Test func referenceErrorsLeaveNoOutput() throws {
        let file = "services:\n  web:\n    image: nginx:$UNSET_TAG_X\n    depends_on: [dbb]\n  db:\n    image: postgres\n"
        try withProject(["compose.yaml": file]) { dir in
            let r = try berth(["config"], in: dir)
            #expect(r.status == 1)
            #expect(r.stdout == "")
            #expect(r.stderr == """
                warning: compose.yaml:3:12: services.web.image: The "UNSET_TAG_X" variable is not set. Defaulting to a blank string.
                error: compose.yaml:4:18: services.web.depends_on: depends on undefined service "dbb" (did you mean "db"?)

                """)
        }
    }

    @Test func warningsGoToStderr() throws {
        try withProject(["compose.yaml": "services:\n  web:\n    image: nginx:$UNSET_TAG_X\n"]) { dir in
            let r = try berth(["config", "--images"], in: dir)
            #expect(r.status == 0)
            #expect(r.stdout == "nginx:\n")
            #expect(r.stderr == "warning: compose.yaml:3:12: services.web.image: The \"UNSET_TAG_X\" variable is not set. Defaulting to a blank string.\n")
        }
    }

    @Test func noInterpolate() throws {
        try withProject(["compose.yaml": "services:\n  web:\n    image: nginx:${TAG}\n"]) { dir in
            let r = try berth(["config", "--no-interpolate", "--images"], in: dir)
            #expect(r.stdout == "nginx:${TAG}\n")
            #expect(r.stderr == "")
        }
    }

    @Test func outputFileEnvFileAndStdin() throws {
        try withProject(["vars.env": "TAG=9\n"]) { dir in
            let r = try berth(["config", "-f", "-", "--env-file", "vars.env", "-o", "out.yaml"], in: dir,
                              stdin: "services:\n  web:\n    image: nginx:${TAG}\n")
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "")
            let written = try String(contentsOf: dir.appendingPathComponent("out.yaml"), encoding: .utf8)
            #expect(written.contains("image: nginx:9"))
        }
    }

    @Test func noComposeFile() throws {
        try withProject(["readme.txt": "x"]) { dir in
            let r = try berth(["config"], in: dir)
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("error: no configuration file provided"))
        }
    }

    @Test func badFormatIsAUsageError() throws {
        try withProject(["compose.yaml": Self.stack]) { dir in
            let r = try berth(["config", "--format", "xml"], in: dir)
            #expect(r.status == 64)
            #expect(r.stderr.contains("invalid --format \"xml\""))
        }
    }

    @Test func projectOptionsParse() throws {
        let command = try #require(try Berth.parseAsRoot(
            ["config", "-f", "a.yaml", "--file", "b.yaml", "-p", "x", "--project-directory", "d",
             "--profile", "p1", "--profile", "p2", "--env-file", "e1", "--env-file", "e2", "svc"]) as? ConfigCommand)
        #expect(command.project.files == ["a.yaml", "b.yaml"])
        #expect(command.project.projectName == "x")
        #expect(command.project.projectDirectory == "d")
        #expect(command.project.profiles == ["p1", "p2"])
        #expect(command.project.envFiles == ["e1", "e2"])
        #expect(command.serviceNames == ["svc"])
    }
}

/// `config --resolve-image-digests` on a model, with a stand-in store.
@Suite struct ConfigImageDigestsTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var image: String
        var expected: String?
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "a bare name gets its tag and the digest", image: "busybox", expected: "busybox:latest@\(digest)"),
        Case(name: "a tag is kept", image: "busybox:1.36", expected: "busybox:1.36@\(digest)"),
        Case(name: "a registry and path are kept", image: "localhost:5000/team/app:v2", expected: "localhost:5000/team/app:v2@\(digest)"),
        Case(name: "a digest is left as written", image: "busybox@\(digest)", expected: nil),
    ]

    @Test(arguments: cases) func pins(_ c: Case) throws {
        let digest = try Digest(parsing: Self.digest)
        let pinned = try ConfigImageDigests.pinned(c.image) { _ in digest }
        #expect(pinned == c.expected)
    }

    @Test func unknownImagesNameTheService() throws {
        let model = Node.mapping(["services": .mapping(["web": .mapping(["image": .scalar("nope:1")])])])
        #expect(throws: UserError.self) {
            _ = try ConfigImageDigests.resolve(model) { throw ImageStoreError.unknownImage($0) }
        }
        do {
            _ = try ConfigImageDigests.resolve(model) { throw ImageStoreError.unknownImage($0) }
        } catch let error as UserError {
            #expect("\(error)".contains("service \"web\": image \"nope:1\""), "\(error)")
        }
    }

    @Test func servicesWithoutImagesAreLeftAlone() throws {
        let model = Node.mapping(["services": .mapping(["tools": .mapping(["build": .scalar(".")])])])
        let resolved = try ConfigImageDigests.resolve(model) { throw ImageStoreError.unknownImage($0) }
        #expect(resolved == model)
    }
}
