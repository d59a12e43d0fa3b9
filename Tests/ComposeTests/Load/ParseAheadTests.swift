import Diagnostics
import Testing
import YAML
@testable import Compose

/// A parse made ahead is used only for the same path, name and bytes: a
/// load with it, with a wrong guess or with none gives the same project.
@Suite struct ParseAheadTests {
    static let compose = "services:\n  web:\n    image: nginx:${TAG}\n    env_file: ./a.env\n    ports: ['8080:80']\n    command: echo $UNSET\n"
    static let broken = "services:\n  web: [\n"

    /// The loaded project's printable parts, or the error text.
    static func outcome(_ options: LoadOptions, _ fs: InMemoryFileSystem) -> String {
        do {
            let loaded = try ComposeLoader.load(options, fileSystem: fs)
            return "\(loaded.name) \(loaded.normalized.flow) \(loaded.warnings)"
        } catch {
            return "error: \(error)"
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String]
        /// What the guess reads (nil: the same tree as the load).
        var guessed: [String: String]? = nil
        var guessedFiles: [String]? = nil
        var text = ParseAheadTests.compose
        var guessedEnvironment: [String: String] = ["TAG": "1"]
        var guessedInterpolation = true
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "explicit file", files: ["compose.yaml"]),
        Case(name: "discovery", files: []),
        Case(name: "parse error comes out the same", files: ["compose.yaml"], text: ParseAheadTests.broken),
        Case(name: "guessed other bytes", files: ["compose.yaml"],
             guessed: ["/p/compose.yaml": "services: {other: {image: x}}\n"]),
        Case(name: "guessed another file", files: ["compose.yaml"], guessedFiles: ["other.yaml"]),
        Case(name: "guessed another environment", files: ["compose.yaml"], guessedEnvironment: ["TAG": "2"]),
        Case(name: "guessed no interpolation", files: ["compose.yaml"], guessedInterpolation: false),
    ])
    func sameProjectWithOrWithoutTheGuess(_ c: Case) {
        let fs = memoryFS(["/p/compose.yaml": c.text, "/p/other.yaml": "services: {o: {image: o}}\n",
                           "/p/a.env": "X=1\n", "/p/.env": "FROM_DOTENV=1\n"])
        let plain = Self.outcome(loadOptions(files: c.files, environment: ["TAG": "1"]), fs)
        let ahead = ParseAhead(files: c.guessedFiles ?? c.files, workingDirectory: "/p", home: "/home/u",
                               environment: c.guessedEnvironment, interpolate: c.guessedInterpolation,
                               fileSystem: c.guessed.map { memoryFS($0) } ?? fs)
        let withGuess = Self.outcome(loadOptions(files: c.files, environment: ["TAG": "1"]) { $0.parsedAhead = ahead }, fs)
        #expect(withGuess == plain)
    }

    @Test func takeMatchesPathNameAndBytes() throws {
        let fs = memoryFS(["/p/compose.yaml": Self.compose, "/p/.env": "TAG=3\n"])
        let ahead = ParseAhead(files: ["compose.yaml"], workingDirectory: "/p", home: "/home/u", environment: [:],
                               interpolate: true, fileSystem: fs)
        let bytes = Array(Self.compose.utf8)
        let parsed = try #require(ahead.take(path: "/p/compose.yaml", name: "compose.yaml", bytes: bytes))
        #expect(try parsed.get() == YAMLLoader.load(bytes: bytes, file: "compose.yaml"))
        #expect(ahead.take(path: "/p/compose.yaml", name: "/p/compose.yaml", bytes: bytes) == nil)
        #expect(ahead.take(path: "/p/compose.yaml", name: "compose.yaml", bytes: bytes + [0x0A]) == nil)
        #expect(ahead.take(path: "/p/other.yaml", name: "compose.yaml", bytes: bytes) == nil)

        // The prepared tree: for the same parse and settings only.
        let source = try parsed.get()
        let environment = ["TAG": "3"]
        let prepared = try #require(ahead.prepared(from: source, path: "/p/compose.yaml", base: "/p",
                                                   home: "/home/u", interpolate: true, environment: environment))
        #expect(prepared.node["services"]?["web"]?["image"]?.scalarValue == "nginx:3")
        #expect(prepared.found.map(\.message).contains { $0.contains("UNSET") })
        #expect(ahead.prepared(from: source, path: "/p/compose.yaml", base: "/q", home: "/home/u",
                               interpolate: true, environment: environment) == nil)
        #expect(ahead.prepared(from: source, path: "/p/compose.yaml", base: "/p", home: "/home/u",
                               interpolate: true, environment: ["TAG": "4"]) == nil)
        #expect(ahead.prepared(from: source, path: "/p/compose.yaml", base: "/p", home: "/home/u",
                               interpolate: false, environment: environment) == nil)
    }
}
