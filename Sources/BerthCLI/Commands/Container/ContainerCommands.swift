import ArgumentParser
import Diagnostics
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// Docker's container commands, top level (`berth run`) and as the
/// `berth container <sub>` group.
enum ContainerCommands {
    static var all: [ParsableCommand.Type] {
        shared + [ContainerGroup.self]
    }

    static var shared: [ParsableCommand.Type] {
        [RunCommand.self, PsCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self,
         KillCommand.self, RmCommand.self, WaitCommand.self, LogsCommand.self, InspectCommand.self,
         TopCommand.self, ExecCommand.self, PauseCommand.self, UnpauseCommand.self, StatsCommand.self, CpCommand.self,
         PortCommand.self, AttachCommand.self]
    }
}

/// `berth container …`.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers",
        subcommands: ContainerCommands.shared + [ContainerLs.self])
}

/// `berth container ls` (= `berth ps`).
struct ContainerLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers",
                                                    aliases: ["list"])
    @OptionGroup var options: PsCommand.Options
    @OptionGroup var state: StateOptions

    func run() throws { try PsCommand.list(options, state: state) }
}

/// The container store and operations for a command's state directories.
struct ContainerContext {
    let store: ContainerStore
    let operations: ContainerOperations

    init(_ state: StateOptions) {
        store = ContainerStore(paths: state.paths)
        operations = ContainerOperations(store: store, monitorExecutable: ContainerOperations.monitorBesideExecutable())
    }

    /// Looks up a container, with Docker's wording when it does not exist.
    func lookup(_ reference: String) throws -> ContainerRecord {
        try translated { try store.lookup(reference) }
    }
}

/// Runs `body`, turning container errors into messages for the user.
func translated<R>(exitCode: Int32 = 1, _ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let e as ContainerStoreError {
        throw UserError("Error response from daemon: \(e.description)", exitCode: exitCode)
    } catch let e as LifecycleError {
        // The container is in the wrong state: Docker's plain failure (1), also for run/exec.
        throw UserError("Error response from daemon: \(e.description)", exitCode: 1)
    } catch let e as StartFailure {
        throw UserError("Error response from daemon: \(e.message)", exitCode: e.exitCode)
    } catch let e as SystemError {
        throw UserError(e.description, exitCode: exitCode)
    } catch let e as ContainerCopyError {
        throw UserError("Error response from daemon: \(e.message)", exitCode: exitCode)
    }
}

/// Applies `body` to each named container as Docker's multi-container
/// commands do: errors are printed per container, the exit code is 1 if
/// any failed.
func forEachContainer(_ references: [String], _ body: (String) throws -> Void) throws {
    var failed = false
    for ref in references {
        do {
            try translated { try body(ref) }
        } catch let e as UserError {
            writeStderr(e.message)
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}

/// Writes text to stdout without buffering surprises next to raw writes.
func writeStdout(_ text: String) {
    var t = text
    t.withUTF8 { buf in
        var off = 0
        while off < buf.count {
            guard let base = buf.baseAddress else { return }
            let n = write(1, base + off, buf.count - off)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            off += n
        }
    }
}

/// Docker's human durations (`Less than a second`, `About a minute`, `3 hours`).
enum HumanDuration {
    static func format(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 1 { return "Less than a second" }
        if s == 1 { return "1 second" }
        if s < 60 { return "\(s) seconds" }
        let minutes = Int(seconds / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int(seconds / 3600 + 0.5)
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(hours / 24 / 365) years"
    }
}

/// Pads columns like Go's tabwriter with Docker's settings (3 spaces).
func renderTable(_ rows: [[String]]) -> String {
    guard let width = rows.map(\.count).max() else { return "" }
    var widths = [Int](repeating: 0, count: width)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    var out = ""
    for row in rows {
        var line = ""
        for (i, cell) in row.enumerated() {
            line += cell
            if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 3) }
        }
        while line.hasSuffix(" ") { line.removeLast() }
        out += line + "\n"
    }
    return out
}
