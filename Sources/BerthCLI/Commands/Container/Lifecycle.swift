import ArgumentParser
import Diagnostics
import Networking
import Runtime

/// `berth start CONTAINER...`.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        try requireRoot("berth start")
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            let record = try ctx.store.lookup(ref)
            switch try ctx.operations.start(record) {
            case .started, .waitingForAttach: print(ref)
            case .failed(let code, let message):
                throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
            }
        }
    }
}

/// `berth stop [-t N] CONTAINER...`.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers")
    @OptionGroup var state: StateOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container") var time: Int?
    @Option(name: .shortAndLong, help: "Signal to send to the container") var signal: String?
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        try requireRoot("berth stop")
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            var record = try ctx.store.lookup(ref)
            if let signal {
                guard SignalName.parse(signal) != nil else { throw UserError("invalid signal: \(signal)") }
                record.process.stopSignal = signal
            }
            try ctx.operations.stop(record, timeout: time)
            print(ref)
        }
    }
}

/// `berth restart [-t N] CONTAINER...`.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers")
    @OptionGroup var state: StateOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container") var time: Int?
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        try requireRoot("berth restart")
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            let record = try ctx.store.lookup(ref)
            try ctx.operations.stop(record, timeout: time)
            switch try ctx.operations.start(record) {
            case .started, .waitingForAttach: print(ref)
            case .failed(let code, let message):
                throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
            }
        }
    }
}

/// `berth kill [-s SIGNAL] CONTAINER...`.
struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers")
    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "Signal to send to the container") var signal: String = "KILL"
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        try requireRoot("berth kill")
        guard let sig = SignalName.parse(signal) else { throw UserError("invalid signal: \(signal)") }
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            let record = try ctx.store.lookup(ref)
            try ctx.operations.kill(record, signal: sig)
            print(ref)
        }
    }
}

/// `berth rm [-f] [-v] CONTAINER...`.
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers")
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL)") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container") var volumes = false
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        try requireRoot("berth rm")
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            let record = try ctx.store.lookup(ref)
            try ctx.operations.remove(record, force: force, removeVolumes: volumes)
            // Network wiring (run on a network, or compose): ports, veths, pinned namespace.
            try RunNetworking.release(record, paths: state.paths)
            print(ref)
        }
    }
}

/// `berth wait CONTAINER...`: prints each exit code.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until one or more containers stop, then print their exit codes")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        let ctx = ContainerContext(state)
        try forEachContainer(containers) { ref in
            let record = try ctx.store.lookup(ref)
            print(try ctx.operations.wait(record))
        }
    }
}

/// `berth inspect CONTAINER...`: Docker's JSON shape.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on containers")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var containers: [String]

    func run() throws {
        let ctx = ContainerContext(state)
        var items: [RecordJSON] = []
        var failed = false
        for ref in containers {
            do {
                let snap = try translated { try ctx.operations.snapshot(ref) }
                items.append(ContainerPresentation.inspect(snap, logPath: ctx.store.logPath(snap.record.id)))
            } catch let e as UserError {
                writeStderr(e.message)
                failed = true
            }
        }
        print(RecordJSON.array(items).pretty())
        if failed { throw ExitCode(1) }
    }
}
