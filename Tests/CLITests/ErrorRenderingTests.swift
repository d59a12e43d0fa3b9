import ArgumentParser
import Testing
@testable import BerthCLI

@Suite struct ErrorRenderingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var error: any Error & Sendable
        var code: Int32?
        var testDescription: String { name }
    }

    /// A command's own exit code is berth's to pass on (`run` with the
    /// container's code): no ArgumentParser round trip; usage errors,
    /// --help and --version still go to ArgumentParser (nil).
    @Test(arguments: [
        Case(name: "container exit code", error: ExitCode(7), code: 7),
        Case(name: "success as ExitCode", error: ExitCode.success, code: 0),
        Case(name: "user error", error: UserError("boom", exitCode: 125), code: 125),
        Case(name: "validation error left to ArgumentParser", error: ValidationError("bad"), code: nil),
        Case(name: "help left to ArgumentParser", error: CleanExit.helpRequest(), code: nil),
    ])
    func exitCodes(_ c: Case) {
        #expect(ErrorRendering.render(c.error) == c.code)
    }
}
