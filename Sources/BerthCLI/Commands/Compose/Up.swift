import ArgumentParser
import Compose
import Diagnostics
import Engine
import Foundation
import Health
import Runtime

/// `berth up`: creates the project's networks and volumes, then creates and
/// starts containers wave by wave in dependency order, touching only what
/// changed. Without `-d` it stays attached to the services' output.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create and start containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background.")
    var detach = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if their configuration and image haven't changed.")
    var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "If containers already exist, don't recreate them.")
    var noRecreate = false
    @Flag(name: .customLong("no-deps"), help: "Don't start linked services.")
    var noDeps = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false
    @Option(name: .customLong("scale"), help: ArgumentHelp("Scale SERVICE to NUM instances.", valueName: "SERVICE=NUM"))
    var scale: [String] = []
    @Flag(name: .long, help: "Wait for services to be running|healthy. Implies detached mode.")
    var wait = false
    @Option(name: .customLong("wait-timeout"), help: "Maximum duration in seconds to wait for the project to be running|healthy.")
    var waitTimeout: Int = 300
    @Flag(name: .customLong("dry-run"), help: "Show what would change, and why, without changing anything.")
    var dryRun = false
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output.")
    var noColor = false
    @Flag(name: .long, help: "Show timestamps.")
    var timestamps = false
    @Flag(name: .customLong("abort-on-container-exit"), help: "Stops all containers if any container was stopped. Incompatible with -d.")
    var abortOnContainerExit = false
    @Flag(name: .customLong("abort-on-container-failure"), help: "Stops all containers if any container exited with failure. Incompatible with -d.")
    var abortOnContainerFailure = false
    @Option(name: .customLong("exit-code-from"), help: "Return the exit code of the selected service container. Implies --abort-on-container-exit.")
    var exitCodeFrom: String?
    @Flag(name: .customLong("attach-dependencies"), help: "Automatically attach to log output of dependent services.")
    var attachDependencies = false
    @Option(name: .customLong("attach"), help: "Restrict attaching to the specified services (repeatable).")
    var attach: [String] = []
    @Option(name: .customLong("no-attach"), help: "Do not attach (stream logs) to the specified services (repeatable).")
    var noAttach: [String] = []
    @Flag(name: .customLong("no-log-prefix"), help: "Don't print prefix in logs.")
    var noLogPrefix = false
    @Argument(help: "Services to start (and their dependencies).")
    var services: [String] = []

    func validate() throws {
        if forceRecreate && noRecreate {
            throw ValidationError("--force-recreate and --no-recreate are incompatible")
        }
        if (detach || wait) && (abortOnContainerExit || abortOnContainerFailure || exitCodeFrom != nil) {
            throw ValidationError("--abort-on-container-exit, --abort-on-container-failure and --exit-code-from cannot be combined with -d or --wait")
        }
        if abortOnContainerExit && abortOnContainerFailure {
            throw ValidationError("--abort-on-container-exit and --abort-on-container-failure are incompatible")
        }
    }

    func run() async throws {
        if !dryRun { try requireRoot("berth up") }
        let loaded = try project.load()
        let p = loaded.project
        for s in services + attach + noAttach + (exitCodeFrom.map { [$0] } ?? []) where p.service(named: s) == nil {
            throw UserError("no such service: \(s)")
        }
        var replicas: [String: Int] = [:]
        for item in scale {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let n = Int(parts[1]), n >= 0, p.service(named: parts[0]) != nil else {
                throw UserError("invalid --scale \(item): expected SERVICE=NUM for a service of the project")
            }
            replicas[parts[0]] = n
        }

        let paths = state.paths
        let lock = try ProjectLock(paths: paths, project: p.name, onWait: { holder in
            writeStderr("waiting for another berth process\(holder.map { " (pid \($0))" } ?? "") working on project \(p.name)")
        })
        defer { lock.release() }

        let graph = try ServiceGraph(p)
        let waves = noDeps && !services.isEmpty ? [services] : graph.startWaves(for: services.isEmpty ? nil : services)
        let selected = Set(waves.flatMap { $0 })
        let driver = ComposeDriver(paths: paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())

        // Everything that can fail on input is checked before anything changes.
        var desired: [DesiredService] = []
        for service in p.services where selected.contains(service.name) {
            var d = DesiredService(service, imageID: try translatedEngine { try driver.imageID(for: service) })
            if let n = replicas[service.name] { d.replicas = n }
            desired.append(d)
        }
        // A berth killed inside `create` left containers without their wiring: start those afresh.
        var existing = try driver.actualContainers()
        if !dryRun { existing = try driver.discardIncomplete(existing) }
        let plan = Planner.plan(
            desired: desired, actual: existing.map(\.actual), waves: waves,
            options: PlanOptions(recreate: forceRecreate ? .force : noRecreate ? .never : .diverged,
                                 removeOrphans: removeOrphans, projectServices: Set(p.services.map(\.name))))

        if dryRun {
            for line in PlanText.lines(plan, name: driver.name) { print(line) }
            return
        }
        for orphan in plan.orphans {
            writeStderr("warning: found orphan container (\(orphan.name)) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.")
        }

        let progress = ProgressPrinter(color: !noColor)
        for network in try translatedEngine({ try driver.ensureNetworks(for: p.services.filter { selected.contains($0.name) }) }) {
            progress.update("Network", network, .done("Created"))
        }
        // Attached: note where the logs end now, so the follower shows all
        // the containers print from their start.
        var logTail = LogTail(driver: driver, color: !noColor, timestamps: timestamps, prefix: !noLogPrefix)
        if !(detach || wait) { try logTail.markCurrentEnds() }
        var executor = Executor(driver: driver, dependencies: Self.requirements(p, selected: selected),
                                conditionTimeout: UInt64(waitTimeout) * 1_000_000_000)
        executor.after = noDeps ? [:] : graph.dependencies
        executor.createsAhead = Self.createsAhead(p)
        do {
            let warnings = try await executor.run(plan) { progress.update($0) }
            for w in warnings { writeStderr("warning: " + w) }
            if wait {
                try await waitUntilReady(plan: plan, driver: driver, executor: executor, progress: progress)
            }
        } catch let failure as ExecutionFailure {
            progress.finish()
            throw UserError(failure.description)
        } catch let error as EngineError {
            progress.finish()
            throw UserError(error.message)
        }
        progress.finish()
        if detach || wait { return }
        var follower = ProjectLogFollower(driver: driver, project: p, color: !noColor, timestamps: timestamps,
                                          prefix: !noLogPrefix)
        // Compose attaches to the services named (all when none is), and to
        // their dependencies with --attach-dependencies.
        let attached = (services.isEmpty || attachDependencies ? selected : Set(services))
            .union(exitCodeFrom.map { [$0] } ?? [])
        follower.shown = Self.shownServices(attached: attached, attach: attach, noAttach: noAttach)
        follower.watched = attached
        // --exit-code-from implies --abort-on-container-exit, unless --abort-on-container-failure.
        follower.abort = abortOnContainerFailure ? .onFailure
            : abortOnContainerExit || exitCodeFrom != nil ? .onExit : .never
        follower.exitCodeFrom = exitCodeFrom
        // Containers the plan kept as they were (already exited) are not news.
        let alreadyExited = Set(plan.waves.flatMap { $0 }.compactMap { action -> String? in
            if case let .keep(c) = action, case .exited = c.status { return c.name }
            return nil
        })
        let code = try await follower.attachUntilInterrupted(stopTimeout: nil, tail: logTail, alreadyExited: alreadyExited)
        if code != 0 { throw ExitCode(code) }
    }

    /// The services whose output attached `up` shows: `--attach` ones (else
    /// the attached ones), minus `--no-attach` ones.
    static func shownServices(attached: Set<String>, attach: [String], noAttach: [String]) -> Set<String> {
        (attach.isEmpty ? attached : Set(attach)).subtracting(noAttach)
    }

    /// Services whose containers can be created before their dependencies
    /// run: all but those that need another container at creation.
    static func createsAhead(_ p: Project) -> Set<String> {
        Set(p.services.filter { s in
            s.volumesFrom.isEmpty
                && !(s.networkMode.map { $0.hasPrefix("service:") || $0.hasPrefix("container:") } ?? false)
        }.map(\.name))
    }

    /// service → dependency → requirement, for the `selected` services.
    static func requirements(_ p: Project, selected: Set<String>) -> [String: [String: DependencyRequirement]] {
        Dictionary(uniqueKeysWithValues: p.services.map { service in
            (service.name, service.dependsOn.filter { selected.contains($0.key) }.mapValues { dep in
                let condition: DependencyRequirement.Condition = switch dep.condition {
                case .started: .started
                case .healthy: .healthy
                case .completedSuccessfully: .completedSuccessfully
                }
                return DependencyRequirement(condition: condition, required: dep.required)
            })
        })
    }

    /// `--wait`: every started container running, and healthy where it has a healthcheck.
    func waitUntilReady(plan: Plan, driver: ComposeDriver, executor: Executor, progress: ProgressPrinter) async throws {
        let deadline = Date().addingTimeInterval(Double(waitTimeout))
        for action in plan.waves.flatMap({ $0 }) {
            guard let name = executor.containerName(action) else { continue }
            while true {
                let seen = try await driver.observe(name)
                if seen.health == .unhealthy {
                    throw ExecutionFailure(service: action.service, message: "container \(name) is unhealthy",
                                           details: seen.healthReport)
                }
                let ready: Bool = switch (seen.status, seen.health) {
                case (.running, nil), (.running, .healthy?): true
                case (.exited(0), nil): true
                default: false
                }
                if ready {
                    progress.update("Container", name, .done(seen.health == .healthy ? "Healthy" : "Running"))
                    break
                }
                if case let .exited(code) = seen.status, code != 0 {
                    throw ExecutionFailure(service: action.service, message: "container \(name) exited with code \(code)",
                                           details: await driver.lastLogLines(name, count: 20))
                }
                guard Date() < deadline else {
                    throw ExecutionFailure(service: action.service, message: "timed out waiting for \(name)", details: [])
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }
}

/// Engine errors carry their own words; the CLI shows them as they are.
func translatedEngine<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as EngineError { throw UserError(error.message) }
}

/// `up --dry-run`: the plan, one line per container, with the reason.
enum PlanText {
    static func lines(_ plan: Plan, name: (String, Int) -> String) -> [String] {
        var out: [String] = []
        for action in plan.orphanRemovals { out.append(line(action, name: name)) }
        for (i, wave) in plan.waves.enumerated() {
            for action in wave { out.append("wave \(i + 1): " + line(action, name: name)) }
        }
        for orphan in plan.orphans { out.append("orphan \(orphan.name) (left alone; --remove-orphans removes it)") }
        if plan.isNoop { out.append("nothing to do: the project is up to date") }
        return out
    }

    static func line(_ action: Action, name: (String, Int) -> String) -> String {
        switch action {
        case let .create(s, n, r): "create \(name(s, n)): \(r)"
        case let .recreate(c, r): "recreate \(c.name): \(r)"
        case let .start(c, r): "start \(c.name): \(r)"
        case let .restart(c, r): "restart \(c.name): \(r)"
        case let .remove(c, r): "remove \(c.name): \(r)"
        case let .keep(c): "keep \(c.name): up to date"
        }
    }
}

extension ProgressPrinter {
    /// An executor event as its container's row (`berth up`, `compose run`).
    func update(_ event: ExecutionEvent) {
        let status: ProgressBoard.Status = switch event.phase {
        case let .working(t): .working(t)
        case let .done(t): .done(t)
        case let .failed(t): .failed(t)
        }
        update("Container", event.container, status)
    }
}
