import ArgumentParser
import Diagnostics
import Runtime

/// `berth cp CONTAINER:SRC DEST` / `berth cp SRC CONTAINER:DEST`.
struct CpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files/folders between a container and the local filesystem")
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information)") var archive = false
    @Argument(help: ArgumentHelp(valueName: "source")) var source: String
    @Argument(help: ArgumentHelp(valueName: "destination")) var destination: String

    func run() throws {
        try requireRoot("berth cp")
        let ctx = ContainerContext(state)
        let from = CpCommand.split(source), to = CpCommand.split(destination)
        try Self.copy(ctx, from: Endpoint(container: from.0, path: from.1), to: Endpoint(container: to.0, path: to.1),
                      archive: archive)
    }

    /// One side of a copy: a path in a container, or on the host (nil container).
    struct Endpoint {
        var container: String?
        var path: String
    }

    /// Copies between a container (running, created or exited) and the
    /// host (`berth cp`, `berth compose cp`).
    static func copy(_ ctx: ContainerContext, from: Endpoint, to: Endpoint, archive: Bool = false) throws {
        switch (from.container, to.container) {
        case let (ref?, nil):
            try withContainer(ctx, ref, archive: archive) { try $0.copyOut(from.path, to: to.path) }
        case let (nil, ref?):
            try withContainer(ctx, ref, archive: archive) { try $0.copyIn(from.path, to: to.path) }
        default:
            throw UserError("copying between containers or between host paths is not supported: one side must be CONTAINER:PATH")
        }
    }

    /// A running (or paused) container is copied through its process's
    /// root; any other through its layers mounted for the copy only.
    private static func withContainer(_ ctx: ContainerContext, _ ref: String, archive: Bool,
                                      _ body: (ContainerCopy) throws -> Void) throws {
        let snap = try translated { try ctx.operations.snapshot(ref) }
        if snap.state.isActive, snap.state.pid > 0 {
            let copy = try translated { try ContainerCopy(pid: snap.state.pid, archive: archive) }
            try translated { try body(copy) }
        } else {
            try translated {
                try ContainerCopy.withStoppedContainer(snap.record, store: ctx.store, archive: archive, body)
            }
        }
    }

    /// `name:path` → (name, path); a path with `/` before any `:` is local.
    static func split(_ arg: String) -> (String?, String) {
        guard let colon = arg.firstIndex(of: ":"), !arg[..<colon].contains("/"), colon != arg.startIndex else {
            return (nil, arg)
        }
        return (String(arg[..<colon]), String(arg[arg.index(after: colon)...]))
    }
}
