import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ProfilesTests {
    /// The spec's illustrative example (chapter "Profiles").
    static let project: Node = [
        "services": [
            "foo": ["image": "foo"],
            "bar": ["image": "bar", "profiles": ["test"]],
            "baz": ["image": "baz", "depends_on": ["bar"], "profiles": ["test"]],
            "zot": ["image": "zot", "depends_on": ["bar"], "profiles": ["debug"]],
            "opt": ["image": "opt", "depends_on": ["bar": ["condition": "service_started", "required": "false"]]],
        ],
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var profiles: Set<String>
        var selected: [String]
        var services: [String]
        var messages: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "no profile", profiles: [], selected: [], services: ["foo", "opt"], messages: []),
        Case(name: "test", profiles: ["test"], selected: [], services: ["foo", "bar", "baz", "opt"], messages: []),
        Case(name: "debug: zot requires disabled bar", profiles: ["debug"], selected: [], services: ["foo", "zot", "opt"],
             messages: [#"services.zot.depends_on: service "bar" is required by "zot" but is disabled (enable profile "test", or set required: false)"#]),
        Case(name: "debug and test", profiles: ["debug", "test"], selected: [], services: ["foo", "bar", "baz", "zot", "opt"], messages: []),
        Case(name: "star", profiles: ["*"], selected: [], services: ["foo", "bar", "baz", "zot", "opt"], messages: []),
        Case(name: "bar selected", profiles: [], selected: ["bar"], services: ["foo", "bar", "baz", "opt"], messages: []),
        Case(name: "baz selected pulls bar", profiles: [], selected: ["baz"], services: ["foo", "bar", "baz", "opt"], messages: []),
        Case(name: "zot selected pulls its requirement", profiles: [], selected: ["zot"], services: ["foo", "bar", "zot", "opt"], messages: []),
        Case(name: "unknown selection", profiles: [], selected: ["fo"], services: ["foo", "opt"],
             messages: [#"no such service: "fo" (did you mean "foo"?)"#]),
    ])
    func profiles(_ c: Case) {
        let (normalized, _) = Normalizer.normalize(Self.project, context: testContext)
        let (out, diagnostics) = Profiles.apply(normalized, enabled: c.profiles, selectedServices: c.selected)
        #expect(out["services"]?.mappingKeys == c.services)
        #expect(diagnostics.map { d in var d = d; d.mark = nil; return d.description } == c.messages)
    }

    @Test func disabledRequirementReportedOnce() {
        let (normalized, _) = Normalizer.normalize(Self.project, context: testContext)
        let (out, diagnostics) = Profiles.apply(normalized, enabled: ["debug"], selectedServices: [])
        #expect(diagnostics.count == 1)
        #expect(Validator.checkReferences(out).isEmpty)
    }

    @Test func otherReferencesDoNotEnable() {
        let project: Node = ["services": [
            "app": ["image": "x", "network_mode": "service:vpn", "volumes_from": ["service:data:ro"], "links": ["db:database"]],
            "vpn": ["image": "x", "profiles": ["net"]],
            "data": ["image": "x", "profiles": ["storage", "all"]],
            "db": ["image": "x"],
        ]]
        let (normalized, _) = Normalizer.normalize(project, context: testContext)
        let (out, diagnostics) = Profiles.apply(normalized, enabled: [], selectedServices: [])
        #expect(out["services"]?.mappingKeys == ["app", "db"])
        #expect(diagnostics.map { d in var d = d; d.mark = nil; return d.description } == [
            #"services.app.network_mode: uses service "vpn", which is disabled (enable profile "net")"#,
            #"services.app.volumes_from[0]: uses service "data", which is disabled (enable profiles "storage", "all")"#,
        ])
    }

    @Test func optionalDisabledDependencyIsDropped() {
        let (normalized, _) = Normalizer.normalize(Self.project, context: testContext)
        let (out, _) = Profiles.apply(normalized, enabled: [], selectedServices: [])
        #expect(render(out["services"]?["opt"]?["depends_on"] ?? "missing") == "{}")
        let (withTest, _) = Profiles.apply(normalized, enabled: ["test"], selectedServices: [])
        #expect(withTest["services"]?["opt"]?["depends_on"]?.mappingKeys == ["bar"])
    }
}
