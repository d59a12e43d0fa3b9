import ArgumentParser
import Compose
import Diagnostics
import Engine
import Runtime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `berth compose run SERVICE [COMMAND...]`: a one-off container
/// `<project>-<service>-run-<12 hex>` from the service's configuration, its
/// dependencies started first as `up` starts them. Attached by default
/// (exit code of the command is berth's); `--rm` removes it afterwards.
struct ComposeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a one-off command on a service.")

    // `-p` is --publish here, as in `docker compose run -p`; the project is `--project-name`.
    @Option(name: [.customShort("f"), .customLong("file")], help: "Compose configuration files.") var file: [String] = []
    @Option(name: .customLong("project-name"), help: "Project name.") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Alternate working directory.") var projectDirectory: String?
    @Option(name: .customLong("profile"), help: "Enable a profile.") var profile: [String] = []
    @Option(name: .customLong("env-file"), help: "Alternate environment file.") var envFile: [String] = []
    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Run container in background and print container name.") var detach = false
    @Flag(name: .customLong("rm"), help: "Automatically remove the container when it exits.") var remove = false
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: .long, help: "Override the entrypoint of the image.") var entrypoint: String?
    @Option(name: .shortAndLong, help: "Run as specified username or uid.") var user: String?
    @Option(name: .shortAndLong, help: "Working directory inside the container.") var workdir: String?
    @Flag(name: .customLong("no-deps"), help: "Don't start linked services.") var noDeps = false
    @Option(name: .shortAndLong, help: "Publish a container's port(s) to the host.") var publish: [String] = []
    @Flag(name: .customLong("service-ports"), help: "Run command with all service's ports enabled and mapped to the host.")
    var servicePorts = false
    @Option(name: .shortAndLong, help: "Bind mount a volume.") var volume: [String] = []
    @Flag(name: .customLong("use-aliases"), help: "Use the service's network aliases in the network(s) the container connects to.")
    var useAliases = false
    @Flag(name: .customShort("T"), help: "Disable pseudo-TTY allocation (default: auto-detected).") var noTTY = false
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached (default: true; accepted for compatibility).")
    var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY (default when stdin is a terminal; accepted for compatibility).")
    var tty = false
    @Option(name: .shortAndLong, help: "Add or override a label.") var label: [String] = []
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output.") var noColor = false
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("SERVICE [COMMAND] [ARGS...]", valueName: "service"))
    var serviceAndCommand: [String] = []

    func validate() throws {
        if detach && remove {
            // The one-off's network wiring is undone by berth, not by the container's monitor.
            throw ValidationError("--rm and -d cannot be combined in berth (remove a detached one-off with berth compose down)")
        }
    }

    func run() async throws {
        try requireRoot("berth compose run")
        guard let service = serviceAndCommand.first else {
            throw UserError("\"berth compose run\" requires at least 1 argument.\nSee 'berth compose run --help'.")
        }
        let options = ProjectOptions(files: file, projectName: projectName, projectDirectory: projectDirectory,
                                     profiles: profile, envFiles: envFile)
        let loaded = try options.load(services: [service])
        let p = loaded.project
        guard let svc = p.service(named: service) else { throw UserError("no such service: \(service)") }

        var overrides = OneOffOverrides()
        overrides.name = name
        let command = Array(serviceAndCommand.dropFirst())
        overrides.command = command.isEmpty ? nil : command
        if let entrypoint { overrides.entrypoint = try translatedEngine { try ShellWords.split(entrypoint) } }
        overrides.environment = env
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
            overrides.labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        overrides.user = user
        overrides.workingDir = workdir
        overrides.servicePorts = servicePorts
        overrides.useAliases = useAliases
        overrides.publish = publish
        overrides.volumes = volume
        overrides.baseDirectory = loaded.projectDirectory
        overrides.tty = !noTTY && !detach && isatty(0) == 1 && isatty(1) == 1
        overrides.stdinOpen = !detach

        let paths = state.paths
        let driver = ComposeDriver(paths: paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let progress = ProgressPrinter(color: !noColor)
        let oneOff: String
        do {
            let lock = try ProjectLock(paths: paths, project: p.name, onWait: { holder in
                writeStderr("waiting for another berth process\(holder.map { " (pid \($0))" } ?? "") working on project \(p.name)")
            })
            defer { lock.release() }
            _ = try driver.discardIncomplete(driver.actualContainers())
            let graph = try ServiceGraph(p)
            let waves = noDeps ? [] : graph.startWaves(for: [service]).map { $0.filter { $0 != service } }.filter { !$0.isEmpty }
            let dependencies = Set(waves.flatMap { $0 })
            let involved = p.services.filter { dependencies.contains($0.name) || $0.name == service }
            _ = try translatedEngine { try driver.ensureNetworks(for: involved) }
            if !dependencies.isEmpty {
                try await startDependencies(of: service, waves: waves, graph: graph, driver: driver, progress: progress)
            }
            _ = try translatedEngine { try driver.imageID(for: svc) }
            oneOff = try await translatedEngineAsync { try await driver.createOneOff(service: service, overrides: overrides) }
        }
        progress.finish()

        if detach {
            switch try translated(exitCode: 125, { try driver.start(oneOff, attach: false) }) {
            case .started, .waitingForAttach: print(oneOff)
            case let .failed(code, message):
                throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
            }
            return
        }
        let code: Int32
        do {
            code = try await attach(oneOff, driver: driver, tty: overrides.tty)
        } catch {
            if remove { try? await driver.remove(oneOff, volumes: true) }
            throw error
        }
        if remove { try? await driver.remove(oneOff, volumes: true) }
        throw ExitCode(code)
    }

    /// Creates and starts the dependencies as `up` would, then waits until
    /// each meets the condition the service asks of it.
    func startDependencies(of service: String, waves: [[String]], graph: ServiceGraph, driver: ComposeDriver,
                           progress: ProgressPrinter) async throws {
        let p = driver.project
        let selected = Set(waves.flatMap { $0 })
        var desired: [DesiredService] = []
        for s in p.services where selected.contains(s.name) {
            desired.append(DesiredService(s, imageID: try translatedEngine { try driver.imageID(for: s) }))
        }
        let plan = Planner.plan(
            desired: desired, actual: try driver.actualContainers().map(\.actual), waves: waves,
            options: PlanOptions(recreate: .diverged, removeOrphans: false, projectServices: Set(p.services.map(\.name))))
        var executor = Executor(driver: driver, dependencies: UpCommand.requirements(p, selected: selected.union([service])))
        executor.after = graph.dependencies
        executor.createsAhead = UpCommand.createsAhead(p)
        var containersOf: [String: [String]] = [:]
        for action in plan.waves.flatMap({ $0 }) {
            if let name = executor.containerName(action) { containersOf[action.service, default: []].append(name) }
        }
        let report: @Sendable (ExecutionEvent) -> Void = { progress.update($0) }
        do {
            var warnings = try await executor.run(plan, report: report)
            warnings += try await executor.waitForDependencies(of: service, containersOf: containersOf, report: report)
            for w in warnings { writeStderr("warning: " + w) }
        } catch let failure as ExecutionFailure {
            progress.finish()
            throw UserError(failure.description)
        } catch let error as EngineError {
            progress.finish()
            throw UserError(error.message)
        }
    }

    /// Starts the one-off with this process attached to its stdio; its exit code.
    func attach(_ name: String, driver: ComposeDriver, tty: Bool) async throws -> Int32 {
        switch try translated(exitCode: 125, { try driver.start(name, attach: true) }) {
        case let .failed(code, message):
            throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
        case .started, .waitingForAttach:
            break
        }
        let socket = try translatedEngine { try driver.socketPath(name) }
        // As `docker compose run`: SIGINT and SIGTERM berth receives go to the one-off's process.
        signal(SIGINT) { _ in interrupts.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in terminations.add(1, ordering: .relaxed) }
        let proxy = Task.detached {
            var seen = (0, 0)
            while !Task.isCancelled {
                let now = (interrupts.load(ordering: .relaxed), terminations.load(ordering: .relaxed))
                if now.0 > seen.0 { try? driver.signal(name, SIGINT) }
                if now.1 > seen.1 { try? driver.signal(name, SIGTERM) }
                seen = now
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        defer { proxy.cancel() }
        let result = try translated(exitCode: 125) { try AttachClient.attach(socketPath: socket, stdin: true, tty: tty) }
        switch result {
        case let .exited(code):
            return code
        case let .failed(code, message):
            throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
        case .disconnected, .detached:  // (no detach keys are given here)
            return (try? driver.waitForExit(name)) ?? 125
        }
    }
}

/// SIGTERM count while `compose run` is attached; the handler only bumps it.
let terminations = Atomic<Int>(0)

/// `translatedEngine` for async bodies.
func translatedEngineAsync<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as EngineError { throw UserError(error.message) }
}
