import Diagnostics
import Testing
@testable import Compose

@Suite struct DiscoveryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String]
        var start: String
        var expected: [String]
        var warns = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "compose.yaml in the working directory", files: ["/p/compose.yaml"], start: "/p",
             expected: ["/p/compose.yaml"]),
        Case(name: "compose.yml", files: ["/p/compose.yml"], start: "/p", expected: ["/p/compose.yml"]),
        Case(name: "docker-compose.yml", files: ["/p/docker-compose.yml"], start: "/p", expected: ["/p/docker-compose.yml"]),
        Case(name: "compose.yaml preferred, with a warning", files: ["/p/docker-compose.yml", "/p/compose.yaml"],
             start: "/p", expected: ["/p/compose.yaml"], warns: true),
        Case(name: "found in a parent", files: ["/p/compose.yaml", "/p/sub/deeper/x.txt"], start: "/p/sub/deeper",
             expected: ["/p/compose.yaml"]),
        Case(name: "nearest directory wins", files: ["/p/compose.yaml", "/p/sub/docker-compose.yaml"], start: "/p/sub",
             expected: ["/p/sub/docker-compose.yaml"]),
        Case(name: "matching override", files: ["/p/compose.yaml", "/p/compose.override.yaml"], start: "/p",
             expected: ["/p/compose.yaml", "/p/compose.override.yaml"]),
        Case(name: "docker-compose override", files: ["/p/docker-compose.yml", "/p/docker-compose.override.yml"],
             start: "/p", expected: ["/p/docker-compose.yml", "/p/docker-compose.override.yml"]),
        Case(name: "override of another supported name", files: ["/p/compose.yaml", "/p/docker-compose.override.yml"],
             start: "/p", expected: ["/p/compose.yaml", "/p/docker-compose.override.yml"]),
        Case(name: "nothing found", files: ["/p/other.yaml"], start: "/p", expected: []),
    ]

    @Test(arguments: cases)
    func findsDefaultFiles(_ c: Case) {
        let fs = InMemoryFileSystem(Dictionary(uniqueKeysWithValues: c.files.map { ($0, "services: {}\n") }))
        let (files, warnings) = Discovery.findDefaultFiles(from: c.start, fileSystem: fs)
        #expect(files == c.expected)
        #expect(!warnings.isEmpty == c.warns)
    }

    @Test(arguments: [
        ("myapp", true), ("my-app_2", true), ("9lives", true), ("MyApp", false), ("_app", false),
        ("-app", false), ("my.app", false), ("", false),
    ])
    func validProjectNames(_ name: String, _ valid: Bool) {
        #expect(Discovery.isValidProjectName(name) == valid)
    }

    @Test(arguments: [
        ("MyApp", "myapp"), ("my.app", "myapp"), ("_-Odd Name!", "oddname"), ("___", ""), ("awesome-compose", "awesome-compose"),
        ("-_A-_b.", "a-_b"),
    ])
    func normalizedDirectoryNames(_ name: String, _ normalized: String) {
        #expect(Discovery.normalizeProjectName(name) == normalized)
    }

    @Test func pathRules() {
        #expect(PathRules.clean("/a/./b/../c//d/") == "/a/c/d")
        #expect(PathRules.clean("/..") == "/")
        #expect(PathRules.join("/p/sub", "../x") == "/p/x")
        #expect(PathRules.join("/p", "/abs") == "/abs")
        #expect(PathRules.resolve("~/data", against: "/p", home: "/home/u") == "/home/u/data")
        #expect(PathRules.resolve("~", against: "/p", home: "/home/u") == "/home/u")
        #expect(PathRules.directory(of: "/p/compose.yaml") == "/p")
        #expect(PathRules.directory(of: "/compose.yaml") == "/")
        #expect(PathRules.display("/p/sub/c.yaml", relativeTo: "/p") == "sub/c.yaml")
        #expect(PathRules.display("/q/c.yaml", relativeTo: "/p") == "/q/c.yaml")
    }
}
