import ArgumentParser
import Diagnostics
import Runtime

/// `berth cp CONTAINER:SRC DEST` / `berth cp SRC CONTAINER:DEST`.
struct CpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files/folders between a container and the local filesystem")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "source")) var source: String
    @Argument(help: ArgumentHelp(valueName: "destination")) var destination: String

    func run() throws {
        try requireRoot("berth cp")
        let ctx = ContainerContext(state)
        let from = CpCommand.split(source), to = CpCommand.split(destination)
        switch (from, to) {
        case let ((ref?, path), (nil, host)):
            let copy = try running(ctx, ref)
            try translated { try copy.copyOut(path, to: host) }
        case let ((nil, host), (ref?, path)):
            let copy = try running(ctx, ref)
            try translated { try copy.copyIn(host, to: path) }
        default:
            throw UserError("copying between containers or between host paths is not supported: one side must be CONTAINER:PATH")
        }
    }

    private func running(_ ctx: ContainerContext, _ ref: String) throws -> ContainerCopy {
        let snap = try translated { try ctx.operations.snapshot(ref) }
        guard snap.state.isActive, snap.state.pid > 0 else {
            throw UserError("Error response from daemon: cannot copy: \(snap.record.name) is not running (berth copies through the running container's root)")
        }
        return try translated { try ContainerCopy(pid: snap.state.pid) }
    }

    /// `name:path` → (name, path); a path with `/` before any `:` is local.
    static func split(_ arg: String) -> (String?, String) {
        guard let colon = arg.firstIndex(of: ":"), !arg[..<colon].contains("/"), colon != arg.startIndex else {
            return (nil, arg)
        }
        return (String(arg[..<colon]), String(arg[arg.index(after: colon)...]))
    }
}
