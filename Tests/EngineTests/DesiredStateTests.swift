import Testing
import Compose
import YAML
@testable import Engine

@Suite struct DesiredStateTests {
    func project(_ yaml: String) throws -> Project {
        let root = try YAMLLoader.load(yaml, file: "compose.yaml")
        let (normalized, diagnostics) = Normalizer.normalize(root, context: NormalizeContext(
            workingDirectory: "/p", homeDirectory: "/root", environment: [:]))
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        return try Project(normalized: normalized)
    }

    func service(_ yaml: String) throws -> ComposeService {
        try #require(try project(yaml).services.first)
    }

    @Test func flattenedFieldsNameWhatChanged() throws {
        let a = try service("name: p\nservices:\n  web:\n    image: busybox\n    environment: {DEBUG: '1'}\n")
        let b = try service("name: p\nservices:\n  web:\n    image: busybox\n    environment: {DEBUG: '0'}\n")
        let old = ActualContainer(id: "x", name: "p-web-1", service: "web", number: 1,
                                  configHash: ServiceGraph.configHash(a.self),
                                  fields: ConfigFields.flatten(a.definition), status: .running)
        let plan = Planner.plan(desired: [DesiredService(b, imageID: nil)], actual: [old], waves: [["web"]],
                                options: PlanOptions(projectServices: ["web"]))
        #expect(plan.waves.flatMap { $0 } == [.recreate(container: old, reason: .configChanged(fields: ["environment.DEBUG"]))])
    }

    @Test func replicasAndDependsOnDoNotAppearAsFields() throws {
        let p = try project("""
            name: p
            services:
              db: {image: busybox}
              web:
                image: busybox
                deploy: {replicas: 3}
                depends_on:
                  db: {condition: service_started, restart: true}
            """)
        let web = try #require(p.service(named: "web"))
        let desired = DesiredService(web, imageID: "sha256:abc")
        #expect(!desired.fields.keys.contains { $0.hasPrefix("deploy.replicas") || $0.hasPrefix("depends_on") })
        #expect(desired.imageID == "sha256:abc")
        #expect(desired.replicas == 3)
        #expect(desired.dependencies == ["db": DependencyEdge(restartOnUpdate: true)])
        #expect(desired.fields["image"] == "busybox")
    }

    @Test func networkModeServiceIsANetworkSharingEdge() throws {
        let p = try project("""
            name: p
            services:
              vpn: {image: busybox}
              db: {image: busybox}
              app:
                image: busybox
                network_mode: service:vpn
                depends_on:
                  vpn: {condition: service_started, restart: true}
                  db: {condition: service_started}
            """)
        let app = DesiredService(try #require(p.service(named: "app")), imageID: nil)
        #expect(app.dependencies == ["vpn": DependencyEdge(restartOnUpdate: true, sharesNetwork: true), "db": DependencyEdge()])
    }
}
