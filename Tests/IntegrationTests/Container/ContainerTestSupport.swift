import BerthTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built berth binary through the shared `runProcess` (posix_spawn
/// + poll + waitpid: Foundation's Process occasionally never reaped one of
/// the hundreds of short CLI processes these tests start).
enum ContainerCLI {
    static func run(_ t: TestRoot, _ arguments: [String], stdin: Data? = nil) throws -> CLIResult {
        try runProcess(Repository.berthExecutable, arguments, environment: t.environment, stdin: stdin)
    }
}

/// What a berth run printed and how it exited (the shared result type).
typealias CLIResult = CommandResult

extension TestRoot {
    /// `berth ARGS` through `ContainerCLI`.
    @discardableResult
    func cli(_ arguments: String..., stdin: Data? = nil) throws -> CLIResult {
        try ContainerCLI.run(self, arguments, stdin: stdin)
    }

    @discardableResult
    func cli(arguments: [String], stdin: Data? = nil) throws -> CLIResult {
        try ContainerCLI.run(self, arguments, stdin: stdin)
    }
}
