import ArgumentParser
import Testing
@testable import BerthCLI

/// `ConfigFastPath` reads an argument list exactly as ArgumentParser does,
/// or leaves it to ArgumentParser.
@Suite struct ConfigFastPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var testDescription: String { arguments.joined(separator: " ") }
        init(_ arguments: String) { self.arguments = arguments.split(separator: " ").map(String.init) }
        init(words: [String]) { self.arguments = words }
    }

    /// Every field of the command, read through its property wrappers (a
    /// field the fast path left unset would stop the process here).
    static func fields(_ c: ConfigCommand) -> [String] {
        let p = c.project
        return ["files=\(p.files)", "name=\(p.projectName ?? "-")", "dir=\(p.projectDirectory ?? "-")",
                "profiles=\(p.profiles)", "envFiles=\(p.envFiles)", "ansi=\(p.ansi ?? "-")",
                "progress=\(p.progress ?? "-")", "format=\(c.format)", "quiet=\(c.quiet)",
                "services=\(c.services)", "volumes=\(c.volumes)", "networks=\(c.networks)",
                "profiles=\(c.profiles)", "images=\(c.images)", "hash=\(c.hash ?? "-")",
                "noInterpolate=\(c.noInterpolate)", "digests=\(c.resolveImageDigests)",
                "root=\(c.state.root ?? "-")", "output=\(c.output ?? "-")", "names=\(c.serviceNames)"]
    }

    @Test(arguments: [
        Case("config"),
        Case("config -q -f /tmp/cfg-big/compose.yaml"),
        Case("compose config --quiet --file=a.yaml --file b.yaml"),
        Case("-f a.yaml -p demo config --services"),
        Case("--file=a.yaml --profile dev compose config -q"),
        Case("config -f a.yaml web -p demo db --project-directory=/srv/x"),
        Case("config --profile p1 --profile=p2 --env-file e1 --env-file=e2 svc"),
        Case("config --format json -o out.json --root /r --no-interpolate"),
        Case("config --format=yaml --hash * --ansi auto --progress auto"),
        Case("config --volumes --networks --profiles --images --resolve-image-digests --output=o"),
        Case("--root /r --project-directory d config --services web"),
    ])
    func readsWhatArgumentParserReads(_ c: Case) throws {
        let hoisted = GlobalOptions.hoist(c.arguments)
        let fast = try #require(ConfigFastPath.parse(hoisted))
        let parsed = try #require(try Berth.parseAsRoot(hoisted) as? ConfigCommand)
        #expect(Self.fields(fast) == Self.fields(parsed))
    }

    @Test(arguments: [
        Case("config --help"), Case("config -h"), Case("compose config --help"), Case("config --version"),
        Case("config -- web"), Case("config -qf a.yaml"), Case("config -f"), Case("config -f -"),
        Case("config --file="), Case("config -f=a.yaml"), Case("config --quiet=true"), Case("config -q -q"),
        Case("config --format yaml --format json"), Case("config --format xml"), Case("config --ansi sometimes"),
        Case("config -p a -p b"), Case("config --frobnicate"), Case("config --generate-completion-script bash"),
        Case("config -o -x"), Case("up -d"), Case("compose up"), Case("ps"), Case("--version"), Case(""),
        Case(words: ["config", "-f", ""]),
    ])
    func leavesTheRestToArgumentParser(_ c: Case) {
        #expect(ConfigFastPath.parse(GlobalOptions.hoist(c.arguments)) == nil)
    }

    /// A property added to the command or its option groups needs a line
    /// in `ConfigFastPath.parse` (and in `fields`).
    @Test func knowsEveryProperty() {
        #expect(Mirror(reflecting: ConfigCommand()).children.count == 14)
        #expect(Mirror(reflecting: ProjectOptions()).children.count == 7)
        #expect(Mirror(reflecting: StateOptions()).children.count == 1)
    }
}
