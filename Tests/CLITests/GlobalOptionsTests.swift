import Testing
@testable import BerthCLI

@Suite struct GlobalOptionsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: [String]
        var output: [String]
        var testDescription: String { input.joined(separator: " ") }
    }

    @Test(arguments: [
        Case(input: ["-f", "a.yaml", "config"], output: ["config", "--file", "a.yaml"]),
        Case(input: ["-f", "a.yaml", "-p", "demo", "config", "--services"],
             output: ["config", "--file", "a.yaml", "--project-name", "demo", "--services"]),
        Case(input: ["--file=a.yaml", "--profile", "dev", "compose", "config", "-q"],
             output: ["compose", "config", "--file=a.yaml", "--profile", "dev", "-q"]),
        Case(input: ["config", "-f", "a.yaml"], output: ["config", "-f", "a.yaml"]),
        Case(input: ["--version"], output: ["--version"]),
        Case(input: ["-f"], output: ["-f"]),
        Case(input: ["compose", "-p", "x", "--file=a.yaml", "up", "-d"],
             output: ["compose", "up", "--project-name", "x", "--file=a.yaml", "-d"]),
        Case(input: ["--root", "/r", "ps"], output: ["ps", "--root", "/r"]),
        Case(input: ["-f", "a.yaml", "compose", "logs", "-f"], output: ["compose", "logs", "--file", "a.yaml", "-f"]),
        // `compose run -p` publishes a port: the project name goes in its long form.
        Case(input: ["-p", "demo", "compose", "run", "-p", "8080:80", "web"],
             output: ["compose", "run", "--project-name", "demo", "-p", "8080:80", "web"]),
    ])
    func hoistsLeadingGlobalOptions(_ c: Case) {
        #expect(GlobalOptions.hoist(c.input) == c.output)
    }
}
