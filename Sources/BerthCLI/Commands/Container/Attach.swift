import ArgumentParser
import Diagnostics
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth attach [--no-stdin] [--detach-keys KEYS] CONTAINER`: this
/// process's stdio joins the running container's main process through its
/// monitor (output streamed; stdin when the container was created with `-i`;
/// a `-t` container's terminal raw, sized and resized as with `run -it`).
/// Exits with the container's code when it exits; the detach keys (Docker's
/// default Ctrl-P Ctrl-Q) leave it running and exit 1 after Docker's
/// "read escape sequence".
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attach", abstract: "Attach local standard input, output, and error streams to a running container")
    @OptionGroup var state: StateOptions
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN") var noStdin = false
    @Option(name: .customLong("detach-keys"), help: "Override the key sequence for detaching a container") var detachKeys: String = "ctrl-p,ctrl-q"
    @Argument(help: ArgumentHelp(valueName: "container")) var container: String

    func run() throws {
        try requireRoot("berth attach")
        guard let keys = DetachKeys(spec: detachKeys) else {
            throw UserError("invalid detach keys (\(detachKeys)) provided")
        }
        let ctx = ContainerContext(state)
        let record = try ctx.lookup(container)
        let snap = try translated { try ctx.operations.snapshot(record) }
        if snap.state.status == .paused { throw UserError("You cannot attach to a paused container, unpause it first") }
        if snap.state.status == .restarting { throw UserError("You cannot attach to a restarting container, wait until it is running") }
        guard snap.state.isActive else { throw UserError("You cannot attach to a stopped container, start it first") }
        let stdin = !noStdin && record.process.openStdin
        let tty = record.process.tty
        if stdin && tty { try requireTerminalInput() }
        let result = try translated(exitCode: 1) {
            try AttachClient.attach(socketPath: ctx.store.socketPath(record.id), stdin: stdin, tty: tty,
                                    detachKeys: stdin ? keys : nil)
        }
        switch result {
        case .exited(let code):
            throw ExitCode(code)
        case .failed(let code, let message):
            throw UserError("Error response from daemon: \(message)", exitCode: code)
        case .detached:
            writeStderr("read escape sequence")
            throw ExitCode(1)
        case .disconnected:
            throw ExitCode((try? ctx.operations.wait(record)) ?? 1)
        }
    }
}
