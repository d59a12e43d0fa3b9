import Testing
@testable import Engine

@Suite struct ProjectListingTests {
    struct StatusCase: CustomTestStringConvertible, Sendable {
        var name: String
        var states: [String]
        var expected: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        StatusCase(name: "all running", states: ["running", "running", "running"], expected: "running(3)"),
        StatusCase(name: "mixed, states sorted", states: ["running", "exited", "running"], expected: "exited(1), running(2)"),
        StatusCase(name: "paused and created", states: ["paused", "created"], expected: "created(1), paused(1)"),
        StatusCase(name: "none", states: [], expected: ""),
    ])
    func combinedStatus(_ c: StatusCase) {
        #expect(ProjectListing.combinedStatus(c.states) == c.expected)
    }

    static let machine: [ProjectListing.Container] = [
        .init(project: "shop", state: "running", configFiles: "/srv/shop/compose.yaml"),
        .init(project: "shop", state: "exited", configFiles: "/srv/shop/compose.yaml"),
        .init(project: "blog", state: "exited", configFiles: "/srv/blog/compose.yaml,/srv/blog/dev.yaml"),
        .init(project: "api", state: "paused", configFiles: ""),
    ]

    struct RowsCase: CustomTestStringConvertible, Sendable {
        var name: String
        var all: Bool
        var filter: String?
        var expected: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        RowsCase(name: "up projects only, up containers counted", all: false, filter: nil,
                 expected: ["api paused(1) ", "shop running(1) /srv/shop/compose.yaml"]),
        RowsCase(name: "-a: stopped projects too", all: true, filter: nil,
                 expected: ["api paused(1) ", "blog exited(1) /srv/blog/compose.yaml,/srv/blog/dev.yaml",
                            "shop exited(1), running(1) /srv/shop/compose.yaml"]),
        RowsCase(name: "name filter", all: true, filter: "bl", expected: ["blog exited(1) /srv/blog/compose.yaml,/srv/blog/dev.yaml"]),
        RowsCase(name: "filter matching nothing", all: true, filter: "zzz", expected: []),
    ])
    func rows(_ c: RowsCase) {
        let rows = ProjectListing.rows(Self.machine, all: c.all, nameFilter: c.filter)
        #expect(rows.map { "\($0.name) \($0.status) \($0.configFiles)" } == c.expected)
    }
}
