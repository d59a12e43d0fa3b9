import ArgumentParser
import Compose
import Engine
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth compose rm`: removes the project's stopped containers, like
/// `docker compose rm`. `-s` stops running ones first; without `-f` it
/// asks (reading y/N from standard input, terminal or not).
struct ComposeRmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Removes stopped service containers.")

    @OptionGroup var project: ProjectLongOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Don't ask to confirm removal.") var force = false
    @Flag(name: .shortAndLong, help: "Stop the containers, if required, before removing.") var stop = false
    @Flag(name: .shortAndLong, help: "Remove any anonymous volumes attached to containers.") var volumes = false
    @Argument(help: "Services to remove.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose rm")
        let session = try ProjectSession(project.options, state)
        try session.check(services)
        let lock = try session.lock()
        defer { lock.release() }
        let driver = session.driver
        let progress = ProgressPrinter()
        if stop {
            let running = try session.driver.containers(of: services).filter { isUp($0.actual.status) }
            try await composeErrors {
                try await session.inWaves(session.graph.stopWaves(), running) { record in
                    progress.update("Container", record.name, .working("Stopping"))
                    try await driver.stop(record.name, timeout: nil)
                    progress.update("Container", record.name, .done("Stopped"))
                }
            }
        }
        let stopped = try session.driver.containers(of: services).filter { !isUp($0.actual.status) }
        if stopped.isEmpty {
            writeStderr("No stopped containers")
            return
        }
        let message = "Going to remove " + stopped.map(\.record.name).joined(separator: ", ")
        if force {
            writeStdout(message + "\n")
        } else {
            writeStdout(message + "  Are you sure? [yN] ")
            let answer = Self.readAnswer()
            if isatty(0) == 0 { writeStdout("\n") }  // a terminal echoed the newline already
            guard answer == "y" || answer == "yes" else {
                if answer == nil { throw UserError("no answer on standard input: use -f to remove without asking") }
                return
            }
        }
        let removeVolumes = volumes
        try await composeErrors {
            try await session.inWaves(session.graph.stopWaves(), stopped) { record in
                progress.update("Container", record.name, .working("Removing"))
                try await driver.remove(record.name, volumes: removeVolumes)
                progress.update("Container", record.name, .done("Removed"))
            }
        }
        progress.finish()
    }

    /// One line from standard input, trimmed and lowercased; nil at end of input.
    static func readAnswer() -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(0, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { if line.isEmpty { return nil }; break }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        var text = String(decoding: line, as: UTF8.self).lowercased()
        while text.last == " " || text.last == "\r" || text.last == "\t" { text.removeLast() }
        while text.first == " " { text.removeFirst() }
        return text
    }
}
