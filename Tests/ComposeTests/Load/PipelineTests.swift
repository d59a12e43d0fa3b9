import Diagnostics
import Testing
import YAML
@testable import Compose

/// The whole pipeline: loader phases, validation, normalization, profiles,
/// references, Project.
@Suite struct PipelineTests {
    func errors(_ options: LoadOptions, _ fs: InMemoryFileSystem) -> [String] {
        do {
            _ = try ComposeLoader.load(options, fileSystem: fs)
            return []
        } catch let e as DiagnosticsError {
            return e.diagnostics.filter { $0.severity == .error }.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func loadsAProject() throws {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  web: {image: nginx, ports: ['80:80'], depends_on: [db]}\n  db: {image: postgres}\n",
        ])
        let loaded = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(loaded.project.name == "p")
        #expect(loaded.project.services.map(\.name) == ["db", "web"])
        #expect(loaded.normalized["services"]?["web"]?["ports"]?.sequenceItems?.first?["target"]?.scalarValue == "80")
        #expect(loaded.warnings.isEmpty)
    }

    @Test func loaderAndSchemaErrorsTogether() {
        let fs = memoryFS([
            "/p/compose.yaml": "services:\n  web:\n    image: ${IMG:?set IMG}\n    restart: sometimes\n    prots: []\n",
        ])
        let found = errors(loadOptions(files: ["compose.yaml"]), fs)
        #expect(found.count == 3)
        #expect(found.first == "compose.yaml:3:12: services.web.image: required variable \"IMG\" is missing a value: set IMG")
        #expect(found.contains { $0.hasPrefix("compose.yaml:4:14: services.web.restart:") })
        #expect(found.contains { $0.hasPrefix("compose.yaml:5:5: services.web: unknown key \"prots\"") })
    }

    @Test func failedInterpolationIsNotReportedTwice() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  web:\n    image: x\n    ports: ['${P:?need P}:80']\n"])
        #expect(errors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:4:13: services.web.ports[0]: required variable \"P\" is missing a value: need P"])
    }

    @Test func envFileEntriesAreSchemaChecked() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  web:\n    image: x\n    env_file: [{path: a.env, requird: false}]\n"])
        let found = errors(loadOptions(files: ["compose.yaml"]), fs)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("compose.yaml:4:30: services.web.env_file[0]: unknown key \"requird\"") == true, "\(found)")
    }

    @Test func structuralFailureSkipsValidation() {
        let fs = memoryFS(["/p/compose.yaml": "services:\n  web:\n    extends: {file: gone.yaml, service: base}\n"])
        // No "neither an image nor a build context" for the half-built service.
        #expect(errors(loadOptions(files: ["compose.yaml"]), fs)
            == ["compose.yaml:3:21: services.web.extends.file: compose file gone.yaml not found"])
    }

    @Test func missingEnvFileOnlyMattersForServicesInTheProject() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          app: {image: a}
          debug: {image: b, profiles: [debug], env_file: missing.env}
        """])
        let loaded = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(loaded.project.services.map(\.name) == ["app"])
        #expect(errors(loadOptions(files: ["compose.yaml"]) { $0.profiles = ["debug"] }, fs)
            == ["compose.yaml:3:50: services.debug.env_file[0]: env_file missing.env not found"])
        #expect(errors(loadOptions(files: ["compose.yaml"]) { $0.services = ["debug"] }, fs).count == 1)
    }

    @Test func profilesAndSelection() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          web: {image: w, depends_on: [db]}
          db: {image: d}
          tool: {image: t, profiles: [tools]}
        """])
        let plain = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        #expect(plain.normalized["services"]?.mappingKeys.sorted() == ["db", "web"])
        #expect(plain.allProfiles == ["tools"])
        let withVariable = try ComposeLoader.load(loadOptions(files: ["compose.yaml"], environment: ["COMPOSE_PROFILES": "tools"]),
                                                  fileSystem: fs)
        #expect(withVariable.normalized["services"]?.mappingKeys.sorted() == ["db", "tool", "web"])
    }

    @Test func selectedServicesAndTheirDependenciesOnly() throws {
        let fs = memoryFS(["/p/compose.yaml": """
        services:
          web: {image: w, depends_on: [api], links: ['cache:c']}
          api: {image: a, network_mode: 'service:net', volumes_from: ['data:ro', 'container:other']}
          net: {image: n}
          data: {image: d}
          cache: {image: c}
          other: {image: o}
          tool: {image: t, profiles: [tools]}
        """])
        let web = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]) { $0.services = ["web"] }, fileSystem: fs)
        #expect(web.project.services.map(\.name) == ["api", "cache", "data", "net", "web"])
        let tool = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]) { $0.services = ["tool"] }, fileSystem: fs)
        #expect(tool.normalized["services"]?.mappingKeys == ["tool"])
        #expect(errors(loadOptions(files: ["compose.yaml"]) { $0.services = ["wbe"] }, fs)
            == ["no such service: \"wbe\" (did you mean \"web\"?)"])
    }

    /// STYLE.md: normalize → emit → load again → equal.
    @Test func roundTripsThroughTheEmitter() throws {
        let fs = memoryFS([
            "/p/compose.yaml": """
            name: rt
            services:
              web:
                build: {context: ./web, args: [A=1]}
                ports: ['127.0.0.1:8080:80/tcp', '9000-9001:9000-9001']
                volumes: ['./html:/usr/share/nginx/html:ro', 'cache:/cache']
                environment: {DEBUG: 'true', EMPTY: ''}
                healthcheck: {test: curl -f http://localhost, interval: 90s}
                depends_on: {db: {condition: service_healthy}}
                env_file: web.env
              db:
                image: postgres:16
                healthcheck: {test: [CMD, pg_isready]}
                secrets: [pw]
            volumes: {cache: {}}
            secrets: {pw: {file: ./pw.txt}}
            """,
            "/p/web.env": "FROM_FILE=\"a b\"\n",
        ])
        let first = try ComposeLoader.load(loadOptions(files: ["compose.yaml"]), fileSystem: fs)
        let text = try YAMLEmitter.emit(first.normalized)
        var options = loadOptions(files: ["-"])
        options.stdinText = text
        let second = try ComposeLoader.load(options, fileSystem: fs)
        #expect(second.normalized.strippingMarks() == first.normalized.strippingMarks())
        // The config hash ignores positions, so it survives the round trip.
        #expect(second.project.services.map(ServiceGraph.configHash) == first.project.services.map(ServiceGraph.configHash))
    }
}
