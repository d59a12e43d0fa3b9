import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ExtendsTests {
    func services(_ fs: InMemoryFileSystem, _ file: String = "compose.yaml") throws -> Node? {
        try assemble(loadOptions(files: [file]), fileSystem: fs).model["services"]
    }

    @Test func sameFileRecursive() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          base:
            image: busybox
            user: root
            environment: {TZ: utc, PORT: '80'}
          common:
            extends: base
            environment: {PORT: '8080'}
            cap_add: [NET_ADMIN]
          cli:
            extends:
              service: common
            cap_add: [NET_ADMIN, SYS_TIME]
            command: [sh]
        """])
        let s = try #require(try services(fs))
        #expect(s["common"]?.flow == "{image: busybox, user: root, environment: {TZ: utc, PORT: 8080}, cap_add: [NET_ADMIN]}")
        #expect(s["cli"]?.flow == "{image: busybox, user: root, environment: {TZ: utc, PORT: 8080}, cap_add: [NET_ADMIN, SYS_TIME], command: [sh]}")
    }

    @Test func volumesByTargetAndOwnValuesWin() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          common:
            image: busybox
            volumes: ['common-volume:/var/lib/backup/data:rw']
          cli:
            extends: {service: common}
            image: alpine
            volumes: ['cli-volume:/var/lib/backup/data:ro']
        """])
        #expect(try services(fs)?["cli"]?.flow == "{image: alpine, volumes: [cli-volume:/var/lib/backup/data:ro]}")
    }

    @Test func otherFileResolvesPathsAgainstItsOwnDirectory() throws {
        let fs = memoryFS([
            "/p/compose.yaml": """
            services:
              web:
                extends: {file: ../shared/common.yaml, service: app}
                ports: ['80:80']
            """,
            "/shared/common.yaml": """
            services:
              app:
                extends: {file: ./base/base.yaml, service: root}
                build: ./app
                env_file: app.env
              unrelated: {image: x}
            """,
            "/shared/base/base.yaml": "services:\n  root:\n    image: base\n    volumes: ['./data:/data']\n",
            "/shared/app.env": "FROM_FILE=1\n",
        ])
        let web = try #require(try services(fs)?["web"])
        #expect(web.flow == "{image: base, volumes: [/shared/base/data:/data], build: /shared/app, ports: [80:80], environment: {FROM_FILE: 1}}")
        // The base value keeps the position of the file that supplied it.
        #expect(web["image"]?.mark.description == "/shared/base/base.yaml:3:12")
        // Only the extending file's services are in the project.
        #expect(try services(fs)?.mappingKeys == ["web"])
    }

    @Test func cycleInOneFile() {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          a:
            extends: b
          b:
            extends: {service: a}
        """])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs) == [
            "compose.yaml:5:14: services.b.extends: extends cycle: a (compose.yaml:3:5) → b (compose.yaml:5:5) → a",
        ])
    }

    @Test func cycleAcrossFiles() {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  a:\n    extends: {file: other.yaml, service: b}\n",
            "/p/other.yaml": "services:\n  b:\n    extends: {file: compose.yaml, service: a}\n",
        ])
        let errors = loadErrors(loadOptions(files: ["compose.yaml"]), fs)
        #expect(errors == [
            "other.yaml:3:14: services.b.extends: extends cycle: compose.yaml:a (compose.yaml:3:5) → other.yaml:b (other.yaml:3:5) → compose.yaml:a",
        ])
    }

    @Test func selfExtension() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  a:\n    extends: a\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:3:14: services.a.extends: extends cycle: a (compose.yaml:3:5) → a"])
    }

    @Test func missingServiceWithSuggestion() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  base: {image: x}\n  a:\n    extends: {service: bsae}\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs) == [
            "compose.yaml:4:24: services.a.extends.service: cannot extend service \"bsae\": no such service (did you mean \"base\"?)",
        ])
    }

    @Test func missingFile() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  a:\n    extends: {file: nope.yaml, service: x}\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:3:21: services.a.extends.file: compose file nope.yaml not found"])
    }

    @Test func healthcheckDisableRestriction() {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          base:
            image: x
            healthcheck: {test: [CMD, true]}
          a:
            extends: base
            healthcheck: {disable: true}
        """])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs) == [
            "compose.yaml:7:28: services.a.healthcheck.disable: cannot disable the healthcheck of extended service \"base\", which defines one",
        ])
    }

    @Test func resetInExtendingService() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          base: {image: x, ports: ['80:80'], environment: {A: '1', B: '2'}}
          a:
            extends: base
            ports: !reset []
            environment: {A: !reset null}
        """])
        #expect(try services(fs)?["a"]?.flow == "{image: x, environment: {B: 2}}")
    }
}
