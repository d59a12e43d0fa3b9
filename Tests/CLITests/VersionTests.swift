import Testing
@testable import BerthCLI

@Suite struct VersionTests {
    @Test func versionParses() throws {
        let command = try Berth.parseAsRoot(["version", "--short"])
        #expect(command is VersionCommand)
    }

    @Test func unknownFormatIsRejected() throws {
        let command = try #require(try Berth.parseAsRoot(["version", "--format", "xml"]) as? VersionCommand)
        #expect(throws: (any Error).self) { try command.run() }
    }
}
