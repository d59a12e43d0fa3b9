import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct LoaderTests {
    // MARK: Files and project directory

    @Test func explicitFilesAreMergedInOrder() throws {
        let fs = memoryFS([
            "/p/a.yaml": "services:\n  web:\n    image: a\n    environment: [X=1]\n",
            "/p/sub/b.yaml": "services:\n  web:\n    image: b\n    environment: [Y=2]\n",
        ])
        let project = try assemble(loadOptions(files: ["a.yaml", "sub/b.yaml"]), fileSystem: fs)
        #expect(project.files == ["/p/a.yaml", "/p/sub/b.yaml"])
        #expect(project.name == "p")
        #expect(project.projectDirectory == "/p")
        #expect(project.model["services"]?["web"]?.flow == "{image: b, environment: [X=1, Y=2]}")
    }

    @Test func composeFileVariableWithSeparator() throws {
        let fs = memoryFS(["/p/a.yaml": "services: {a: {image: a}}\n", "/p/b.yaml": "services: {b: {image: b}}\n"])
        let colon = try assemble(loadOptions(environment: ["COMPOSE_FILE": "a.yaml:b.yaml"]), fileSystem: fs)
        #expect(colon.files == ["/p/a.yaml", "/p/b.yaml"])
        let custom = try assemble(loadOptions(environment: ["COMPOSE_FILE": "b.yaml;a.yaml",
                                                                      "COMPOSE_PATH_SEPARATOR": ";"]), fileSystem: fs)
        #expect(custom.files == ["/p/b.yaml", "/p/a.yaml"])
    }

    @Test func composeFileFromDotEnv() throws {
        let fs = memoryFS(["/p/.env": "COMPOSE_FILE=x.yaml\n", "/p/x.yaml": "services: {a: {image: a}}\n",
                           "/p/compose.yaml": "services: {b: {image: b}}\n"])
        let project = try assemble(loadOptions(), fileSystem: fs)
        #expect(project.files == ["/p/x.yaml"])
    }

    @Test func composeFileFromTheProjectDirectorysDotEnvOrEnvFiles() throws {
        let fs = memoryFS([
            "/p/app/.env": "COMPOSE_FILE=dev/compose.yaml\nIMAGE_NAME=test\n",
            "/p/app/dev/compose.yaml": "services:\n  backend: {image: '${IMAGE_NAME}'}\n",
            "/p/other.env": "COMPOSE_FILE=app/dev/compose.yaml\n",
        ])
        let project = try assemble(loadOptions { $0.projectDirectory = "app" }, fileSystem: fs)
        #expect(project.files == ["/p/app/dev/compose.yaml"])
        #expect(project.model["services"]?["backend"]?["image"]?.scalarValue == "test")
        let fromEnvFile = try assemble(loadOptions { $0.envFiles = ["other.env"] }, fileSystem: fs)
        #expect(fromEnvFile.files == ["/p/app/dev/compose.yaml"])
    }

    @Test func discoveryFromASubdirectoryUsesTheFilesDirectory() throws {
        let fs = memoryFS(["/work/App/compose.yaml": "services: {a: {image: a, build: ./ctx}}\n",
                           "/work/App/compose.override.yaml": "services: {a: {user: me}}\n"])
        let project = try assemble(loadOptions(in: "/work/App/src/deep"), fileSystem: fs)
        #expect(project.files == ["/work/App/compose.yaml", "/work/App/compose.override.yaml"])
        #expect(project.name == "app")
        #expect(project.model["services"]?["a"]?.flow == "{image: a, build: /work/App/ctx, user: me}")
    }

    @Test func discoveryStartsInTheProjectDirectory() throws {
        let fs = memoryFS(["/p/compose.yaml": "services: {a: {image: a}}\n", "/q/compose.yaml": "services: {b: {image: b}}\n"])
        let project = try assemble(loadOptions(in: "/p") { $0.projectDirectory = "../q" }, fileSystem: fs)
        #expect(project.files == ["/q/compose.yaml"])
        #expect(project.name == "q")
    }

    @Test func noFileFound() {
        let errors = loadErrors(loadOptions(), memoryFS(["/p/readme.md": "x"]))
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("no configuration file provided") == true)
    }

    @Test func missingExplicitFile() {
        #expect(loadErrors(loadOptions(files: ["nope.yaml"]), memoryFS([:])) == ["compose file nope.yaml not found"])
    }

    @Test func stdinFileUsesTheWorkingDirectory() throws {
        var options = loadOptions(files: ["-"])
        options.stdinText = "services:\n  a:\n    image: a\n    volumes: ['./data:/data']\n"
        let project = try assemble(options, fileSystem: memoryFS([:]))
        #expect(project.files == ["-"])
        #expect(project.model["services"]?["a"]?["volumes"]?.flow == "[/p/data:/data]")
    }

    @Test func yamlErrorsArePositioned() {
        let errors = loadErrors(loadOptions(files: ["c.yaml"]), memoryFS(["/p/c.yaml": "services:\n  a: [\n"]))
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("c.yaml:") == true)
    }

    @Test func topLevelMustBeAMapping() {
        #expect(loadErrors(loadOptions(files: ["c.yaml"]), memoryFS(["/p/c.yaml": "- a\n"]))
            == ["c.yaml:1:1: a compose file must be a mapping at the top level"])
    }

    // MARK: Project name

    struct NameCase: CustomTestStringConvertible, Sendable {
        var name: String
        var flag: String?
        var variable: String?
        var field: String?
        var directory = "/p/My_Project"
        var expected: String
        var testDescription: String { name }
    }

    static let names: [NameCase] = [
        NameCase(name: "-p wins", flag: "flag", variable: "var", field: "field", expected: "flag"),
        NameCase(name: "COMPOSE_PROJECT_NAME next", variable: "var", field: "field", expected: "var"),
        NameCase(name: "name: next", field: "field", expected: "field"),
        NameCase(name: "directory name normalized", expected: "my_project"),
        NameCase(name: "invalid -p", flag: "Bad.Name",
                 expected: "error: invalid project name \"Bad.Name\" (from -p): a project name must contain only lowercase letters, digits, \"_\" and \"-\", and start with a letter or digit (did you mean \"badname\"?)"),
        NameCase(name: "invalid name:", field: "_x",
                 expected: "error: c.yaml:1:7: name: invalid project name \"_x\" (from name:): a project name must contain only lowercase letters, digits, \"_\" and \"-\", and start with a letter or digit (did you mean \"x\"?)"),
        NameCase(name: "unusable directory name", directory: "/p/___",
                 expected: "error: cannot derive a project name from the directory \"/p/___\": set one with -p, COMPOSE_PROJECT_NAME or a top-level name:"),
    ]

    @Test(arguments: names)
    func projectName(_ c: NameCase) {
        var text = "services: {a: {image: a}}\n"
        if let field = c.field { text = "name: \(field)\n" + text }
        let fs = memoryFS(["\(c.directory)/c.yaml": text])
        var options = loadOptions(files: ["c.yaml"], in: c.directory,
                                  environment: c.variable.map { ["COMPOSE_PROJECT_NAME": $0] } ?? [:])
        options.projectName = c.flag
        do {
            let project = try assemble(options, fileSystem: fs)
            #expect(project.name == c.expected)
            #expect(project.model["name"]?.scalarValue == c.expected)
            #expect(project.model.mappingKeys.first == "name")
        } catch let e as DiagnosticsError {
            #expect(e.diagnostics.map { "\($0.severity): \($0)" } == [c.expected])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nameFieldIsInterpolated() throws {
        let fs = memoryFS(["/p/c.yaml": "name: ${APP:-fallback}\nservices: {a: {image: a}}\n"])
        #expect(try assemble(loadOptions(files: ["c.yaml"]), fileSystem: fs).name == "fallback")
        #expect(try assemble(loadOptions(files: ["c.yaml"], environment: ["APP": "given"]), fileSystem: fs).name == "given")
    }

    // MARK: Environment

    @Test func dotEnvOfTheProjectDirectoryWithProcessEnvironmentOnTop() throws {
        let fs = memoryFS([
            "/p/.env": "TAG=fromdotenv\nOTHER=o\nDERIVED=${TAG}-d\n",
            "/p/c.yaml": "services:\n  a:\n    image: img:${TAG}\n    command: [$OTHER, $DERIVED]\n",
        ])
        let plain = try assemble(loadOptions(files: ["c.yaml"]), fileSystem: fs)
        #expect(plain.model["services"]?["a"]?.flow == "{image: img:fromdotenv, command: [o, fromdotenv-d]}")
        let overridden = try assemble(loadOptions(files: ["c.yaml"], environment: ["TAG": "proc"]), fileSystem: fs)
        #expect(overridden.model["services"]?["a"]?.flow == "{image: img:proc, command: [o, proc-d]}")
        #expect(overridden.environment["TAG"] == "proc")
        #expect(overridden.environment["OTHER"] == "o")
    }

    @Test func envFilesReplaceDotEnvInOrder() throws {
        let fs = memoryFS([
            "/p/.env": "TAG=dotenv\n",
            "/p/one.env": "TAG=one\nA=1\n",
            "/p/two.env": "TAG=two-$A\n",
            "/p/c.yaml": "services:\n  a:\n    image: img:${TAG}\n",
        ])
        let project = try assemble(loadOptions(files: ["c.yaml"]) { $0.envFiles = ["one.env", "two.env"] },
                                             fileSystem: fs)
        #expect(project.model["services"]?["a"]?["image"]?.scalarValue == "img:two-1")
        #expect(loadErrors(loadOptions(files: ["c.yaml"]) { $0.envFiles = ["missing.env"] }, fs)
            == ["env file missing.env not found"])
        let fromVariable = try assemble(loadOptions(files: ["c.yaml"], environment: ["COMPOSE_ENV_FILES": "one.env, two.env"]),
                                        fileSystem: fs)
        #expect(fromVariable.model["services"]?["a"]?["image"]?.scalarValue == "img:two-1")
    }

    @Test func errorsFromAllFilesAreCollected() {
        let fs = memoryFS([
            "/p/a.yaml": "services:\n  a:\n    image: ${A:?need A}\n",
            "/p/b.yaml": "services:\n  b:\n    image: x\n    command: \"${B:?need B}\"\n",
        ])
        #expect(loadErrors(loadOptions(files: ["a.yaml", "b.yaml"]), fs) == [
            "a.yaml:3:12: services.a.image: required variable \"A\" is missing a value: need A",
            "b.yaml:4:14: services.b.command: required variable \"B\" is missing a value: need B",
        ])
    }

    @Test func unsetVariableWarning() throws {
        let fs = memoryFS(["/p/c.yaml": "services:\n  a:\n    image: img:$NOPE\n"])
        let project = try assemble(loadOptions(files: ["c.yaml"]), fileSystem: fs)
        #expect(project.warnings.map(\.description)
            == ["c.yaml:3:12: services.a.image: The \"NOPE\" variable is not set. Defaulting to a blank string."])
        #expect(project.model["services"]?["a"]?["image"]?.scalarValue == "img:")
    }

    @Test func noInterpolateKeepsDollars() throws {
        let fs = memoryFS(["/p/c.yaml": "services:\n  a:\n    image: img:${TAG:?x}\n"])
        let project = try assemble(loadOptions(files: ["c.yaml"]) { $0.interpolate = false }, fileSystem: fs)
        #expect(project.model["services"]?["a"]?["image"]?.scalarValue == "img:${TAG:?x}")
    }

    @Test func profilesFromFlagOrVariable() throws {
        let fs = memoryFS(["/p/c.yaml": "services:\n  a: {image: a, profiles: [dev, debug]}\n  b: {image: b, profiles: [prod]}\n"])
        let fromVariable = try assemble(loadOptions(files: ["c.yaml"], environment: ["COMPOSE_PROFILES": "dev, prod"]),
                                                  fileSystem: fs)
        #expect(fromVariable.enabledProfiles == ["dev", "prod"])
        #expect(fromVariable.allProfiles == ["debug", "dev", "prod"])
        let fromFlag = try assemble(loadOptions(files: ["c.yaml"], environment: ["COMPOSE_PROFILES": "dev"]) {
            $0.profiles = ["debug"]
        }, fileSystem: fs)
        #expect(fromFlag.enabledProfiles == ["debug"])
    }
}
