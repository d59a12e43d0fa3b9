import ArgumentParser
import Compose
import Diagnostics
import Engine
import Runtime

/// What the project-scoped commands (start, stop, kill, pause, rm, top…)
/// share: the loaded project, its driver and dependency graph, the
/// service-name check, and running an action over containers wave by wave.
struct ProjectSession {
    let project: Project
    let driver: ComposeDriver
    let graph: ServiceGraph
    let paths: StatePaths

    init(_ options: ProjectOptions, _ state: StateOptions) throws {
        project = try options.load().project
        paths = state.paths
        driver = ComposeDriver(paths: paths, project: project, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        graph = try ServiceGraph(project)
    }

    /// The project lock, as `up`/`down` take it, for commands that change state.
    func lock() throws -> ProjectLock { try ProjectLock(paths: paths, project: project.name) }

    /// `no such service: x` for names that are not services of the project.
    func check(_ services: [String]) throws {
        try composeChecked { try driver.checkServices(services) }
    }

    typealias Entry = (record: ContainerRecord, actual: ActualContainer)

    /// Runs `body` on `entries`, one wave of `waves` after the other, the
    /// containers of a wave in parallel. Containers of services outside
    /// the graph (orphans) come last. The first error stops the command.
    func inWaves(_ waves: [[String]], _ entries: [Entry],
                 _ body: @escaping @Sendable (ContainerRecord) async throws -> Void) async throws {
        let known = Set(waves.flatMap { $0 })
        let byService = Dictionary(grouping: entries, by: { $0.actual.service })
        let rest = byService.keys.filter { !known.contains($0) }.sorted()
        for wave in waves + [rest] {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in wave {
                    for entry in byService[service] ?? [] {
                        let record = entry.record
                        group.addTask { try await body(record) }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// The project flags for commands whose own `-f` means something else
/// (`rm -f` is --force, as in `docker compose rm -f`): the compose file is
/// `--file` only (a global `-f` before the command is rewritten to it).
struct ProjectLongOptions: ParsableArguments {
    @Option(name: .customLong("file"), help: ArgumentHelp("Compose configuration files.", valueName: "file"))
    var file: [String] = []
    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Alternate working directory.") var projectDirectory: String?
    @Option(name: .customLong("profile"), help: "Enable a profile.") var profile: [String] = []
    @Option(name: .customLong("env-file"), help: "Alternate environment file.") var envFile: [String] = []

    var options: ProjectOptions {
        ProjectOptions(files: file, projectName: projectName, projectDirectory: projectDirectory,
                       profiles: profile, envFiles: envFile)
    }
}

/// Runs `body`, turning engine and container errors into messages for the user.
func composeErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as EngineError {
        throw UserError(e.message)
    } catch let e as LifecycleError {
        throw UserError(e.description)
    } catch let e as ContainerStoreError {
        throw UserError(e.description)
    }
}

/// The synchronous form of `composeErrors`.
func composeChecked<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as EngineError {
        throw UserError(e.message)
    } catch let e as LifecycleError {
        throw UserError(e.description)
    } catch let e as ContainerStoreError {
        throw UserError(e.description)
    }
}

/// Docker's state word for a container status.
func stateWord(_ s: ActualContainer.Status) -> String {
    switch s {
    case .created: "created"
    case .running: "running"
    case .paused: "paused"
    case .restarting: "restarting"
    case .exited: "exited"
    case .dead: "dead"
    }
}

/// Running in Docker's sense: running, paused or restarting.
func isUp(_ s: ActualContainer.Status) -> Bool {
    switch s {
    case .running, .paused, .restarting: true
    default: false
    }
}
