import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct IncludeTests {
    @Test func includedProjectUsesItsOwnDirectoryAndDotEnv() throws {
        let fs = memoryFS([
            "/p/compose.yaml": """
            include:
              - ../lib/db/compose.yaml
            services:
              web:
                image: web
                depends_on: [db]
            """,
            "/lib/db/compose.yaml": """
            services:
              db:
                image: postgres:${PG_VERSION}
                volumes: ['./init:/docker-entrypoint-initdb.d']
                env_file: db.env
            volumes:
              data: {}
            """,
            "/lib/db/.env": "PG_VERSION=15\nSHARED=lib\n",
            "/lib/db/db.env": "POSTGRES_PASSWORD=pw\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        let s = try #require(project.model["services"])
        #expect(s.mappingKeys == ["web", "db"])
        #expect(s["db"]?.flow == "{image: postgres:15, volumes: [/lib/db/init:/docker-entrypoint-initdb.d], environment: {POSTGRES_PASSWORD: pw}}")
        #expect(project.model["volumes"]?.flow == "{data: {}}")
        #expect(project.model["include"] == nil)
        #expect(project.files == ["/p/compose.yaml", "/lib/db/compose.yaml"])
    }

    @Test func includingEnvironmentWins() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "include: [sub/compose.yaml]\n",
            "/p/.env": "PG_VERSION=16\n",
            "/p/sub/compose.yaml": "services:\n  db: {image: 'postgres:${PG_VERSION}'}\n",
            "/p/sub/.env": "PG_VERSION=15\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?["db"]?["image"]?.scalarValue == "postgres:16")
    }

    @Test func longFormWithPathListProjectDirectoryAndEnvFile() throws {
        let fs = memoryFS([
            "/p/compose.yaml": """
            include:
              - path: [inc/a.yaml, inc/b.yaml]
                project_directory: inc/root
                env_file: [inc/vars.env]
            """,
            "/p/inc/a.yaml": "services:\n  x: {image: 'x:${V}', build: ./ctx}\n",
            "/p/inc/b.yaml": "services:\n  x: {user: me}\n",
            "/p/inc/vars.env": "V=9\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?["x"]?.flow == "{image: x:9, build: /p/inc/root/ctx, user: me}")
    }

    @Test func conflictingServiceIsAnError() {
        let fs = memoryFS([
            "/p/compose.yaml": "include: [other.yaml]\nservices:\n  web: {image: a}\n",
            "/p/other.yaml": "services:\n  web: {image: b}\n",
        ])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs) == [
            "compose.yaml:3:3: services.web: service \"web\" conflicts with the service of the same name included at compose.yaml:1:11 (defined at other.yaml:2:3)",
        ])
    }

    @Test func identicalNetworkIsFineDifferentOneIsNot() {
        let same = memoryFS([
            "/p/compose.yaml": "include: [o.yaml]\nnetworks:\n  n: {driver: bridge}\nservices: {a: {image: a}}\n",
            "/p/o.yaml": "networks:\n  n: {driver: bridge}\n",
        ])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), same) == [])
        let different = memoryFS([
            "/p/compose.yaml": "include: [o.yaml]\nnetworks:\n  n: {driver: bridge}\nservices: {a: {image: a}}\n",
            "/p/o.yaml": "networks:\n  n: {driver: macvlan}\n",
        ])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), different).count == 1)
    }

    @Test func cycleIsAnError() {
        let fs = memoryFS([
            "/p/compose.yaml": "include: [a.yaml]\n",
            "/p/a.yaml": "include: [compose.yaml]\nservices: {a: {image: a}}\n",
        ])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs)
            == ["a.yaml:1:11: include[0]: include cycle: compose.yaml → a.yaml → compose.yaml"])
    }

    @Test func nestedIncludes() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "include: [one/compose.yaml]\n",
            "/p/one/compose.yaml": "include: [../two/compose.yaml]\nservices: {one: {image: one}}\n",
            "/p/two/compose.yaml": "services: {two: {image: two, build: .}}\n",
        ])
        let project = try assemble(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(project.model["services"]?.flow == "{one: {image: one}, two: {image: two, build: /p/two}}")
    }

    @Test func missingIncludedFile() {
        let fs = memoryFS(["/p/compose.yaml": "include:\n  - path: nope.yaml\n"])
        #expect(loadErrors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:2:11: include[0].path[0]: compose file nope.yaml not found"])
    }
}
