import Foundation

/// The outcome of running the berth executable.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs an executable to completion and captures its output.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       directory: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try p.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
    }
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

extension TestRoot {
    /// Runs `berth ARGS` bound to this test root.
    @discardableResult
    public func berth(_ arguments: String..., directory: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
        try runProcess(Repository.berthExecutable, arguments, environment: environment,
                       directory: directory, stdin: stdin)
    }

    @discardableResult
    public func berth(arguments: [String], directory: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
        try runProcess(Repository.berthExecutable, arguments, environment: environment,
                       directory: directory, stdin: stdin)
    }
}
