import Testing
import Health
import Synchronization
@testable import Engine

/// A driver that keeps containers in memory and lets each test script how
/// they behave once started.
actor FakeDriver: ContainerDriver {
    var containers: [String: ObservedContainer] = [:]
    var log: [String] = []
    /// What a container of a service becomes after start (default: running).
    var afterStart: [String: ObservedContainer] = [:]
    var logs: [String: [String]] = [:]

    /// How long a service's containers take to start, in nanoseconds.
    var startDelay: [String: UInt64] = [:]
    /// Services whose containers fail to be created.
    var failCreate: Set<String> = []

    init(afterStart: [String: ObservedContainer] = [:], logs: [String: [String]] = [:],
         startDelay: [String: UInt64] = [:], failCreate: Set<String> = []) {
        self.afterStart = afterStart
        self.logs = logs
        self.startDelay = startDelay
        self.failCreate = failCreate
    }

    nonisolated func name(service: String, number: Int) -> String { "p-\(service)-\(number)" }

    func create(service: String, number: Int) async throws -> String {
        if failCreate.contains(service) { throw EngineError(service: service, "no image for \(service)") }
        let n = name(service: service, number: number)
        containers[n] = ObservedContainer(status: .created)
        log.append("create \(n)")
        return n
    }

    func start(_ name: String) async throws {
        let service = name.split(separator: "-")[1]
        if let delay = startDelay[String(service)] { try await Task.sleep(nanoseconds: delay) }
        containers[name] = afterStart[String(service)] ?? ObservedContainer(status: .running)
        log.append("start \(name)")
    }

    func stop(_ name: String) async throws {
        containers[name]?.status = .exited(0)
        log.append("stop \(name)")
    }

    func remove(_ name: String) async throws {
        containers[name] = nil
        log.append("remove \(name)")
    }

    func observe(_ name: String) async throws -> ObservedContainer {
        containers[name] ?? ObservedContainer(status: .dead)
    }

    func lastLogLines(_ name: String, count: Int) async -> [String] {
        logs[name] ?? []
    }

    func events() -> [String] { log }
}

private func fresh(_ services: [[String]]) -> Plan {
    Plan(waves: services.map { $0.map { Action.create(service: $0, number: 1, reason: .missing) } },
         orphans: [], orphanRemovals: [])
}

@Suite struct ExecutorTests {
    @Test func wavesRunInOrder() async throws {
        let driver = FakeDriver()
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .started)]])
        try await executor.run(fresh([["db"], ["web"]])) { _ in }
        #expect(await driver.events() == ["create p-db-1", "start p-db-1", "create p-web-1", "start p-web-1"])
    }

    @Test func healthyDependencyLetsDependentsStart() async throws {
        let driver = FakeDriver(afterStart: ["db": ObservedContainer(status: .running, health: .healthy)])
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)]])
        let events = EventLog()
        try await executor.run(fresh([["db"], ["web"]])) { events.add($0) }
        #expect(events.all.contains(ExecutionEvent(container: "p-db-1", phase: .done("Healthy"))))
        #expect(await driver.events().last == "start p-web-1")
    }

    @Test func unhealthyDependencyStopsUpWithEvidence() async throws {
        let driver = FakeDriver(
            afterStart: ["db": ObservedContainer(status: .running, health: .unhealthy,
                                                 healthReport: ["healthcheck pg_isready failed 3 time(s) in a row"])],
            logs: ["p-db-1": ["FATAL: role missing"]])
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)]])
        let error = await #expect(throws: ExecutionFailure.self) {
            try await executor.run(fresh([["db"], ["web"]])) { _ in }
        }
        #expect(error?.message == "dependency failed to start: container p-db-1 is unhealthy")
        #expect(error?.details == ["healthcheck pg_isready failed 3 time(s) in a row",
                                   "last log lines of p-db-1:", "  FATAL: role missing"])
        #expect(await !driver.events().contains("create p-web-1"))
    }

    @Test func missingHealthcheckIsExplained() async throws {
        let driver = FakeDriver()
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)]])
        let error = await #expect(throws: ExecutionFailure.self) {
            try await executor.run(fresh([["db"], ["web"]])) { _ in }
        }
        #expect(error?.message.contains("has no healthcheck") == true)
    }

    @Test func completedSuccessfullyWaitsForExitZero() async throws {
        let ok = FakeDriver(afterStart: ["migrate": ObservedContainer(status: .exited(0))])
        try await Executor(driver: ok, dependencies: ["web": ["migrate": .init(condition: .completedSuccessfully)]])
            .run(fresh([["migrate"], ["web"]])) { _ in }
        #expect(await ok.events().last == "start p-web-1")

        let bad = FakeDriver(afterStart: ["migrate": ObservedContainer(status: .exited(3))])
        let error = await #expect(throws: ExecutionFailure.self) {
            try await Executor(driver: bad, dependencies: ["web": ["migrate": .init(condition: .completedSuccessfully)]])
                .run(fresh([["migrate"], ["web"]])) { _ in }
        }
        #expect(error?.message == "service migrate didn't complete successfully: exit 3")
    }

    @Test func optionalDependencyFailureOnlyWarns() async throws {
        let driver = FakeDriver(afterStart: ["cache": ObservedContainer(status: .exited(1))])
        let warnings = try await Executor(driver: driver, dependencies: [
            "web": ["cache": .init(condition: .completedSuccessfully, required: false)],
        ]).run(fresh([["cache"], ["web"]])) { _ in }
        #expect(warnings == ["web: optional dependency cache failed: service cache didn't complete successfully: exit 1"])
        #expect(await driver.events().last == "start p-web-1")
    }

    @Test func slowDependencyTimesOut() async throws {
        let driver = FakeDriver(afterStart: ["db": ObservedContainer(status: .running, health: .starting)])
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)]],
                                conditionTimeout: 100_000_000)
        let error = await #expect(throws: ExecutionFailure.self) {
            try await executor.run(fresh([["db"], ["web"]])) { _ in }
        }
        #expect(error?.message == "timed out waiting for p-db-1")
    }

    @Test func aDependentDoesNotWaitForAnUnrelatedSlowService() async throws {
        let driver = FakeDriver(startDelay: ["slow": 300_000_000])
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .started)]])
        try await executor.run(fresh([["db", "slow"], ["web"]])) { _ in }
        let events = await driver.events()
        #expect(events.firstIndex(of: "start p-web-1")! < events.firstIndex(of: "start p-slow-1")!, "\(events)")
    }

    @Test func servicesComeAfterTheirGraphPredecessors() async throws {
        // `network_mode: service:db` — no depends_on, but an edge of the graph.
        let driver = FakeDriver(startDelay: ["db": 100_000_000])
        var executor = Executor(driver: driver, dependencies: [:])
        executor.after = ["web": ["db"]]
        try await executor.run(fresh([["db"], ["web"]])) { _ in }
        #expect(await driver.events() == ["create p-db-1", "start p-db-1", "create p-web-1", "start p-web-1"])
    }

    @Test func containersCreatedAheadStartOnlyOnceTheirDependenciesAreReady() async throws {
        let driver = FakeDriver(afterStart: ["db": ObservedContainer(status: .running, health: .healthy)],
                                startDelay: ["db": 200_000_000])
        var executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)]])
        executor.createsAhead = ["db", "web"]
        let events = EventLog()
        try await executor.run(fresh([["db"], ["web"]])) { events.add($0) }
        let log = await driver.events()
        #expect(log.firstIndex(of: "create p-web-1")! < log.firstIndex(of: "start p-db-1")!, "\(log)")
        #expect(log.last == "start p-web-1")
        let shown = events.all.map { "\($0.container) \($0.phase)" }
        #expect(shown.firstIndex(of: "p-db-1 done(\"Healthy\")")! < shown.firstIndex(of: "p-web-1 working(\"Starting\")")!,
                "\(shown)")
    }

    @Test func withNothingToWaitForEachContainerStartsRightAfterItsCreation() async throws {
        // 20 replicas must not all be created before the first one starts.
        let driver = FakeDriver()
        var executor = Executor(driver: driver, dependencies: [:], width: 1)
        executor.createsAhead = ["web"]
        let plan = Plan(waves: [(1...3).map { Action.create(service: "web", number: $0, reason: .missing) }],
                        orphans: [], orphanRemovals: [])
        try await executor.run(plan) { _ in }
        let events = await driver.events()
        #expect(events.count == 6)
        for i in stride(from: 0, to: events.count - 1, by: 2) {
            #expect(events[i].hasPrefix("create ") && events[i + 1] == "start " + events[i].dropFirst(7), "\(events)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailureStopsTheRunWhileAnotherServiceStillWaits() async throws {
        // db never becomes healthy (the condition would wait 300 s); cache cannot be created.
        let driver = FakeDriver(afterStart: ["db": ObservedContainer(status: .running, health: .starting)],
                                failCreate: ["cache"])
        let executor = Executor(driver: driver, dependencies: ["web": ["db": .init(condition: .healthy)],
                                                               "app": ["cache": .init(condition: .started)]])
        let error = await #expect(throws: ExecutionFailure.self) {
            try await executor.run(fresh([["cache", "db"], ["app", "web"]])) { _ in }
        }
        #expect(error?.service == "cache")
        #expect(error?.message.hasSuffix("no image for cache") == true, "\(String(describing: error))")
        let log = await driver.events()
        #expect(!log.contains("start p-web-1") && !log.contains("create p-app-1"), "\(log)")
    }

    @Test func recreateStopsRemovesAndCreatesWithTheSameNumber() async throws {
        let driver = FakeDriver()
        let old = ActualContainer(id: "1", name: "p-web-2", service: "web", number: 2, configHash: "a", status: .running)
        try await Executor(driver: driver, dependencies: [:])
            .run(Plan(waves: [[.recreate(container: old, reason: .forced)]], orphans: [], orphanRemovals: [])) { _ in }
        #expect(await driver.events() == ["stop p-web-2", "remove p-web-2", "create p-web-2", "start p-web-2"])
    }
}

/// Collects events from concurrent tasks.
final class EventLog: Sendable {
    private let events = Mutex<[ExecutionEvent]>([])
    func add(_ e: ExecutionEvent) { events.withLock { $0.append(e) } }
    var all: [ExecutionEvent] { events.withLock { $0 } }
}
