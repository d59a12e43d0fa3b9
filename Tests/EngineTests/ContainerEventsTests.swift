import Testing
import Runtime
@testable import Engine

@Suite struct ContainerEventsTests {
    static let t0 = Timestamp(seconds: 1_795_903_200)  // 2026-11-28T22:00:00Z
    static let t1 = Timestamp(seconds: 1_795_903_205, nanoseconds: 123_456_789)
    static let now = Timestamp(seconds: 1_795_903_210)

    static func web(_ status: ContainerStatus, started: Timestamp = t0, finished: Timestamp = .zero, exit: Int32 = 0,
                    byUser: Bool = false, health: String? = nil) -> ContainerEvents.Snapshot {
        ContainerEvents.Snapshot(id: "abc", name: "p-web-1", service: "web", image: "busybox:latest", status: status,
                                 startedAt: started, finishedAt: finished, exitCode: exit, stoppedByUser: byUser,
                                 health: health)
    }

    struct DiffCase: CustomTestStringConvertible, Sendable {
        var name: String
        var old: ContainerEvents.Snapshot?
        var new: ContainerEvents.Snapshot?
        var actions: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        DiffCase(name: "nothing changed", old: web(.running), new: web(.running), actions: []),
        DiffCase(name: "created and started", old: nil, new: web(.running), actions: ["create", "start"]),
        DiffCase(name: "created, not started", old: nil, new: web(.created, started: .zero), actions: ["create"]),
        DiffCase(name: "stopped by the user", old: web(.running), new: web(.exited, finished: t1, exit: 143, byUser: true),
                 actions: ["die", "stop"]),
        DiffCase(name: "exited on its own", old: web(.running), new: web(.exited, finished: t1, exit: 3), actions: ["die"]),
        DiffCase(name: "started again", old: web(.exited, finished: t1, exit: 137), new: web(.running, started: now),
                 actions: ["start"]),
        DiffCase(name: "restart between two polls", old: web(.running), new: web(.running, started: now, finished: t1, exit: 143),
                 actions: ["die", "start"]),
        DiffCase(name: "paused", old: web(.running), new: web(.paused), actions: ["pause"]),
        DiffCase(name: "unpaused", old: web(.paused), new: web(.running), actions: ["unpause"]),
        DiffCase(name: "removed while running", old: web(.running), new: nil, actions: ["die", "destroy"]),
        DiffCase(name: "removed when stopped", old: web(.exited, exit: 0), new: nil, actions: ["destroy"]),
        DiffCase(name: "became healthy", old: web(.running, health: "starting"), new: web(.running, health: "healthy"),
                 actions: ["health_status: healthy"]),
        DiffCase(name: "starting is not reported", old: web(.running), new: web(.running, health: "starting"), actions: []),
    ])
    func diff(_ c: DiffCase) {
        let old = c.old.map { ["abc": $0] } ?? [:]
        let new = c.new.map { ["abc": $0] } ?? [:]
        #expect(ContainerEvents.diff(old, new, now: Self.now).map(\.action) == c.actions)
    }

    @Test func dieCarriesTheExitCodeAndTheRecordedTime() throws {
        let events = ContainerEvents.diff(["abc": Self.web(.running)], ["abc": Self.web(.exited, finished: Self.t1, exit: 3)],
                                          now: Self.now)
        let die = try #require(events.first)
        #expect(die.line == "2026-11-28 22:00:05.123456 container die abc (exitCode=3, image=busybox:latest, name=p-web-1)")
        #expect(die.json == #"{"action":"die","attributes":{"exitCode":"3","image":"busybox:latest","name":"p-web-1"},"id":"abc","service":"web","time":"2026-11-28T22:00:05.123456789Z","type":"container"}"#)
    }
}
