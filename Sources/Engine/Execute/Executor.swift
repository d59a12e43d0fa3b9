import Health
import Synchronization

/// What the executor reports as it goes; BerthCLI renders it as progress.
public struct ExecutionEvent: Hashable, Sendable {
    public enum Phase: Hashable, Sendable {
        case working(String)
        case done(String)
        case failed(String)
    }

    public var container: String
    public var phase: Phase
}

/// Why `up` stopped: names the dependency and carries the evidence.
public struct ExecutionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var service: String
    public var message: String
    /// Probe outputs, exit codes and last log lines.
    public var details: [String]

    public init(service: String, message: String, details: [String]) {
        self.service = service
        self.message = message
        self.details = details
    }

    public var description: String {
        ([message] + details).joined(separator: "\n")
    }
}

/// Applies a Plan service by service, in dependency order: a service's
/// actions run once the services it comes after have run theirs and each of
/// its dependencies meets its condition (started / healthy / completed
/// successfully) — not when a whole wave is done, so a slow sibling never
/// holds up an unrelated dependent. At most `width` driver steps run at once.
/// A required dependency that fails stops the run with an ExecutionFailure
/// naming it; an optional one only warns.
public struct Executor: Sendable {
    public var driver: any ContainerDriver
    /// service → dependency → requirement.
    public var dependencies: [String: [String: DependencyRequirement]]
    /// service → services it comes after besides its `dependencies`
    /// (`network_mode: service:…`, `volumes_from`: ServiceGraph's edges).
    public var after: [String: [String]] = [:]
    /// Services whose new containers are created before their dependencies
    /// are ready (as Compose creates every container first): only their
    /// start waits. Not for services that need another container at
    /// creation (`network_mode: service:…`, `volumes_from`).
    public var createsAhead: Set<String> = []
    public var width: Int
    /// How long to wait for one dependency condition, in nanoseconds.
    public var conditionTimeout: UInt64
    public var pollInterval: UInt64 = 25_000_000

    public init(driver: any ContainerDriver, dependencies: [String: [String: DependencyRequirement]],
                width: Int = 8, conditionTimeout: UInt64 = 300_000_000_000) {
        self.driver = driver
        self.dependencies = dependencies
        self.width = max(1, width)
        self.conditionTimeout = conditionTimeout
    }

    /// Runs the plan; `report` receives progress events (from any task).
    /// Returns warnings (optional dependencies that failed). The first
    /// failure stops the run: what is still waiting is cancelled, and what
    /// is under way finishes before this returns.
    @discardableResult
    public func run(_ plan: Plan, report: @escaping @Sendable (ExecutionEvent) -> Void) async throws -> [String] {
        for action in plan.orphanRemovals {
            try await apply(action, report: report)
        }
        var containersOf: [String: [String]] = [:]
        var actionsOf: [String: [Action]] = [:]
        var order: [String] = []
        for wave in plan.waves {
            for action in wave {
                if let name = containerName(action) { containersOf[action.service, default: []].append(name) }
                if actionsOf[action.service] == nil { order.append(action.service) }
                actionsOf[action.service, default: []].append(action)
            }
        }
        let slots = Slots(width)
        // Waves are in dependency order, so a service's predecessors have
        // their tasks by the time its own is made.
        var tasks: [(service: String, task: Task<[String], any Error>)] = []
        var taskOf: [String: Task<[String], any Error>] = [:]
        for service in order {
            let before = Set((dependencies[service] ?? [:]).keys).union(after[service] ?? []).sorted()
            let predecessors = before.compactMap { taskOf[$0] }
            let actions = actionsOf[service] ?? []
            let task = Task { [containersOf] in
                try await self.runService(service, actions, after: predecessors, containersOf: containersOf,
                                          slots: slots, report: report)
            }
            tasks.append((service, task))
            taskOf[service] = task
        }
        var warnings: [String] = []
        do {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for (_, task) in tasks {
                    group.addTask {
                        try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
                    }
                }
                for try await more in group { warnings += more }
            }
        } catch {
            for (_, task) in tasks { task.cancel() }
            for (_, task) in tasks { _ = try? await task.value }
            throw error
        }
        return warnings
    }

    /// One service's actions, one task per container: its slot is held
    /// from creation through start when nothing is left to wait for (as
    /// `create` + `start` of one action always was). Containers created
    /// ahead (see `createsAhead`) are created right away and start once
    /// `after` have run and the dependencies meet their conditions (the
    /// service's gate, awaited once); other actions wait for the gate.
    func runService(_ service: String, _ actions: [Action], after predecessors: [Task<[String], any Error>],
                    containersOf: [String: [String]], slots: Slots,
                    report: @escaping @Sendable (ExecutionEvent) -> Void) async throws -> [String] {
        let open = Flag(predecessors.isEmpty && (dependencies[service] ?? [:]).isEmpty)
        let gate = Task {
            for predecessor in predecessors { _ = try await predecessor.value }
            let warnings = try await self.waitForDependencies(of: service, containersOf: containersOf, report: report)
            open.set()
            return warnings
        }
        let ahead = createsAhead.contains(service)
        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for action in actions {
                    group.addTask {
                        if ahead, case let .create(service, number, _) = action {
                            let waiting: String? = try await slots.run {
                                var name = ""
                                try await self.apply(action, report: report) {
                                    name = try await self.driver.create(service: service, number: number)
                                    report(ExecutionEvent(container: name, phase: .done("Created")))
                                }
                                guard open.isSet else { return name }
                                try await self.start(name, of: action, report: report)
                                return nil
                            }
                            guard let name = waiting else { return }
                            _ = try await gate.value
                            try await slots.run { try await self.start(name, of: action, report: report) }
                        } else {
                            _ = try await gate.value
                            try await slots.run { try await self.apply(action, report: report) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return try await gate.value
        } onCancel: {
            gate.cancel()
        }
    }

    func start(_ name: String, of action: Action, report: @escaping @Sendable (ExecutionEvent) -> Void) async throws {
        try await apply(action, report: report) {
            report(ExecutionEvent(container: name, phase: .working("Starting")))
            try await self.driver.start(name)
            report(ExecutionEvent(container: name, phase: .done("Started")))
        }
    }

    /// The container an action leaves behind (nil for removals).
    public func containerName(_ action: Action) -> String? {
        switch action {
        case let .create(service, number, _): driver.name(service: service, number: number)
        case let .recreate(c, _), let .start(c, _), let .restart(c, _), let .keep(c): c.name
        case .remove: nil
        }
    }

    /// Runs one action; an error from the driver comes back as an
    /// ExecutionFailure naming the service and container it happened to
    /// (`service "web": container demo-web-1: Bind for … failed`).
    /// With `step`, runs that part of the action instead of all of it.
    func apply(_ action: Action, report: @escaping @Sendable (ExecutionEvent) -> Void,
               step: (() async throws -> Void)? = nil) async throws {
        do {
            if let step { try await step() } else { try await perform(action, report: report) }
        } catch let failure as ExecutionFailure {
            throw failure
        } catch {
            if let name = containerName(action) { report(ExecutionEvent(container: name, phase: .failed("Error"))) }
            let container = containerName(action) ?? action.service
            var message = "\(error)"
            // Prefix what the driver's message does not say already.
            if !message.hasPrefix("service \"") {
                if !message.hasPrefix("container \(container)") { message = "container \(container): " + message }
                message = "service \"\(action.service)\": " + message
            }
            throw ExecutionFailure(service: action.service, message: message, details: [])
        }
    }

    func perform(_ action: Action, report: @escaping @Sendable (ExecutionEvent) -> Void) async throws {
        switch action {
        case let .create(service, number, _):
            let name = try await driver.create(service: service, number: number)
            report(ExecutionEvent(container: name, phase: .done("Created")))
            report(ExecutionEvent(container: name, phase: .working("Starting")))
            try await driver.start(name)
            report(ExecutionEvent(container: name, phase: .done("Started")))
        case let .recreate(c, _):
            report(ExecutionEvent(container: c.name, phase: .working("Recreate")))
            try await driver.stop(c.name)
            try await driver.remove(c.name)
            let name = try await driver.create(service: c.service, number: c.number)
            report(ExecutionEvent(container: name, phase: .done("Recreated")))
            try await driver.start(name)
            report(ExecutionEvent(container: name, phase: .done("Started")))
        case let .start(c, _):
            report(ExecutionEvent(container: c.name, phase: .working("Starting")))
            try await driver.start(c.name)
            report(ExecutionEvent(container: c.name, phase: .done("Started")))
        case let .restart(c, _):
            report(ExecutionEvent(container: c.name, phase: .working("Restarting")))
            try await driver.stop(c.name)
            try await driver.start(c.name)
            report(ExecutionEvent(container: c.name, phase: .done("Started")))
        case let .remove(c, _):
            report(ExecutionEvent(container: c.name, phase: .working("Stopping")))
            try await driver.stop(c.name)
            try await driver.remove(c.name)
            report(ExecutionEvent(container: c.name, phase: .done("Removed")))
        case let .keep(c):
            let word = if case .exited = c.status { "Exited" } else { "Running" }
            report(ExecutionEvent(container: c.name, phase: .done(word)))
        }
    }

    /// Waits until every dependency of `service` meets its condition
    /// (`containersOf`: dependency service → its container names); returns
    /// warnings for optional dependencies that failed.
    public func waitForDependencies(of service: String, containersOf: [String: [String]],
                             report: @escaping @Sendable (ExecutionEvent) -> Void) async throws -> [String] {
        var warnings: [String] = []
        for (dependency, requirement) in (dependencies[service] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let names = containersOf[dependency] ?? []
            for name in names {
                do {
                    try await waitFor(requirement.condition, container: name, service: dependency, report: report)
                } catch let failure as ExecutionFailure where !requirement.required {
                    warnings.append("\(service): optional dependency \(dependency) failed: \(failure.message)")
                }
            }
        }
        return warnings
    }

    func waitFor(_ condition: DependencyRequirement.Condition, container: String, service: String,
                 report: @escaping @Sendable (ExecutionEvent) -> Void) async throws {
        if condition != .started { report(ExecutionEvent(container: container, phase: .working("Waiting"))) }
        var waited: UInt64 = 0
        while true {
            let seen = try await driver.observe(container)
            switch condition {
            case .started:
                switch seen.status {
                case .running, .restarting, .paused, .exited: return
                case .created, .dead:
                    if waited >= conditionTimeout {
                        throw await failure(service, container, "dependency \(container) did not start", seen)
                    }
                }
            case .healthy:
                guard let health = seen.health else {
                    throw ExecutionFailure(service: service,
                        message: "dependency \(container) has no healthcheck, but a dependent waits for service_healthy",
                        details: ["  hint: add a healthcheck to \(service), or use condition: service_started"])
                }
                if health == .healthy {
                    report(ExecutionEvent(container: container, phase: .done("Healthy")))
                    return
                }
                if health == .unhealthy {
                    report(ExecutionEvent(container: container, phase: .failed("Unhealthy")))
                    throw await failure(service, container, "dependency failed to start: container \(container) is unhealthy", seen)
                }
                if case let .exited(code) = seen.status {
                    throw await failure(service, container, "dependency \(container) exited with code \(code) before it was healthy", seen)
                }
            case .completedSuccessfully:
                if case let .exited(code) = seen.status {
                    if code == 0 {
                        report(ExecutionEvent(container: container, phase: .done("Exited")))
                        return
                    }
                    report(ExecutionEvent(container: container, phase: .failed("Exited (\(code))")))
                    throw await failure(service, container, "service \(service) didn't complete successfully: exit \(code)", seen)
                }
                if seen.status == .dead {
                    throw await failure(service, container, "dependency \(container) is dead", seen)
                }
            }
            if waited >= conditionTimeout {
                throw await failure(service, container, "timed out waiting for \(container)", seen)
            }
            try await Task.sleep(nanoseconds: pollInterval)
            waited += pollInterval
        }
    }

    func failure(_ service: String, _ container: String, _ message: String, _ seen: ObservedContainer) async -> ExecutionFailure {
        var details = seen.healthReport
        let logs = await driver.lastLogLines(container, count: 20)
        if !logs.isEmpty {
            details.append("last log lines of \(container):")
            details += logs.map { "  " + $0 }
        }
        return ExecutionFailure(service: service, message: message, details: details)
    }
}

/// A flag set once, read from any task.
final class Flag: Sendable {
    private let value: Mutex<Bool>

    init(_ initial: Bool) { value = Mutex(initial) }

    var isSet: Bool { value.withLock { $0 } }

    func set() { value.withLock { $0 = true } }
}

/// At most `width` driver steps at once, across every service's task.
actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ width: Int) { free = width }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
