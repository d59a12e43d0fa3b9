import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct EnvironmentFileTests {
    @Test func foldedIntoEnvironmentWhichWins() throws {
        let fs = memoryFS([
            "/p/compose.yaml": """
            services:
              a:
                image: a
                env_file: [one.env, {path: two.env, required: true}, {path: absent.env, required: false}]
                environment:
                  - OWN=own
                  - SHARED=from-environment
                  - EMPTY=
            """,
            "/p/one.env": "SHARED=one\nONLY_ONE=1\nEMPTY=not-empty\n",
            "/p/two.env": "ONLY_ONE=overridden\nREF=${ONLY_ONE}-${PROJECT_VAR}\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"], environment: ["PROJECT_VAR": "pv"]),
                                             fileSystem: fs)
        let a = try #require(project.model["services"]?["a"])
        #expect(a["env_file"] == nil)
        #expect(a["environment"]?.flow
            == "{SHARED: from-environment, ONLY_ONE: overridden, EMPTY: , REF: overridden-pv, OWN: own}")
        // Each variable keeps the position of the line that defined it.
        #expect(a["environment"]?["ONLY_ONE"]?.mark.description == "two.env:1:1")
    }

    @Test func missingRequiredEnvFile() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  a:\n    image: a\n    env_file: missing.env\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:4:15: services.a.env_file[0]: env_file missing.env not found"])
    }

    @Test func envFileSyntaxErrorIsPositioned() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  a: {image: a, env_file: bad.env}\n", "/p/bad.env": "OK=1\nX=\"open\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs) == ["bad.env:2:3: unterminated quoted value"])
    }

    @Test func rawFormat() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  a: {image: a, env_file: [{path: raw.env, format: raw}]}\n",
            "/p/raw.env": "A=\"quoted\" $NOT\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?["a"]?["environment"]?.flow == "{A: \"quoted\" $NOT}")
    }

    @Test func labelFileFoldedIntoLabels() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  a: {image: a, label_file: ./app.labels, labels: {keep: mine}}\n",
            "/p/app.labels": "com.example.team=core\nkeep=file\n",
        ])
        let a = try #require(try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs).model["services"]?["a"])
        #expect(a["label_file"] == nil)
        #expect(a["labels"]?.flow == "{com.example.team: core, keep: mine}")
    }

    @Test func valuelessEnvironmentTakesTheProjectEnvironment() throws {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  a: {image: a, environment: [FROM_PROJECT, UNKNOWN]}\n  b: {image: b, environment: {FROM_PROJECT: null}}\n"])
        let s = try #require(try assemble(loadOptions(files: ["compose.yaml"], environment: ["FROM_PROJECT": "v"]),
                                                    fileSystem: fs).model["services"])
        #expect(s["a"]?["environment"]?.flow == "[FROM_PROJECT=v, UNKNOWN]")
        #expect(s["b"]?["environment"]?.flow == "{FROM_PROJECT: v}")
    }
}
