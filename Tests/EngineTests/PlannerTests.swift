import Testing
@testable import Engine

private func container(_ service: String, _ n: Int, hash: String = "h1", image: String? = nil,
                       fields: [String: String] = [:], status: ActualContainer.Status = .running,
                       oneOff: Bool = false) -> ActualContainer {
    ActualContainer(id: "\(service)\(n)", name: "p-\(service)-\(n)", service: service, number: n,
                    oneOff: oneOff, configHash: hash, imageID: image, fields: fields, status: status)
}

private func describe(_ plan: Plan) -> [String] {
    plan.waves.flatMap { $0 }.map { action in
        switch action {
        case let .create(s, n, r): "create \(s)-\(n) (\(r))"
        case let .recreate(c, r): "recreate \(c.service)-\(c.number) (\(r))"
        case let .start(c, r): "start \(c.service)-\(c.number) (\(r))"
        case let .restart(c, r): "restart \(c.service)-\(c.number) (\(r))"
        case let .remove(c, r): "remove \(c.service)-\(c.number) (\(r))"
        case let .keep(c): "keep \(c.service)-\(c.number)"
        }
    }
}

struct PlanCase: CustomTestStringConvertible, Sendable {
    var name: String
    var desired: [DesiredService]
    var actual: [ActualContainer]
    var options: PlanOptions.Recreate = .diverged
    var expected: [String]
    var testDescription: String { name }
}

@Suite struct PlannerTests {
    static let cases: [PlanCase] = [
        PlanCase(name: "fresh project creates one container per replica",
                 desired: [DesiredService(name: "web", replicas: 2, configHash: "h1")], actual: [],
                 expected: ["create web-1 (not created yet)", "create web-2 (not created yet)"]),
        PlanCase(name: "unchanged running container is kept",
                 desired: [DesiredService(name: "web", configHash: "h1")], actual: [container("web", 1)],
                 expected: ["keep web-1"]),
        PlanCase(name: "stopped up-to-date container is started",
                 desired: [DesiredService(name: "web", configHash: "h1")],
                 actual: [container("web", 1, status: .exited(0))],
                 expected: ["start web-1 (not running)"]),
        PlanCase(name: "changed config recreates and names the fields",
                 desired: [DesiredService(name: "web", configHash: "h2", fields: ["image": "a", "environment.X": "2"])],
                 actual: [container("web", 1, fields: ["image": "a", "environment.X": "1"])],
                 expected: ["recreate web-1 (configuration changed: environment.X)"]),
        PlanCase(name: "changed image recreates",
                 desired: [DesiredService(name: "web", configHash: "h1", imageID: "sha256:bbbbbbbbbbbbbbbb")],
                 actual: [container("web", 1, image: "sha256:aaaaaaaaaaaaaaaa")],
                 expected: ["recreate web-1 (image changed (aaaaaaaaaaaa → bbbbbbbbbbbb))"]),
        PlanCase(name: "no-recreate only starts",
                 desired: [DesiredService(name: "web", configHash: "h2")],
                 actual: [container("web", 1, status: .exited(1))], options: .never,
                 expected: ["start web-1 (not running)"]),
        PlanCase(name: "force recreates up-to-date containers",
                 desired: [DesiredService(name: "web", configHash: "h1")], actual: [container("web", 1)],
                 options: .force, expected: ["recreate web-1 (--force-recreate)"]),
        PlanCase(name: "scale up continues after the highest number",
                 desired: [DesiredService(name: "web", replicas: 3, configHash: "h1")],
                 actual: [container("web", 2)],
                 expected: ["keep web-2", "create web-3 (scaled up)", "create web-4 (scaled up)"]),
        PlanCase(name: "scale down removes the highest numbers",
                 desired: [DesiredService(name: "web", replicas: 1, configHash: "h1")],
                 actual: [container("web", 1), container("web", 2), container("web", 3)],
                 expected: ["keep web-1", "remove web-2 (scaled down)", "remove web-3 (scaled down)"]),
        PlanCase(name: "scale down removes diverged containers first",
                 desired: [DesiredService(name: "web", replicas: 1, configHash: "h1")],
                 actual: [container("web", 1, hash: "old"), container("web", 2)],
                 expected: ["remove web-1 (scaled down)", "keep web-2"]),
        PlanCase(name: "scale to zero removes all",
                 desired: [DesiredService(name: "web", replicas: 0, configHash: "h1")],
                 actual: [container("web", 1)], expected: ["remove web-1 (scaled down)"]),
        PlanCase(name: "one-off containers are ignored",
                 desired: [DesiredService(name: "web", configHash: "h1")],
                 actual: [container("web", 1, hash: "zzz", oneOff: true)],
                 expected: ["create web-1 (not created yet)"]),
    ]

    @Test(arguments: cases)
    func plans(_ c: PlanCase) {
        let plan = Planner.plan(desired: c.desired, actual: c.actual, waves: [c.desired.map(\.name)],
                                options: PlanOptions(recreate: c.options, projectServices: Set(c.desired.map(\.name))))
        #expect(describe(plan) == c.expected)
    }

    @Test func unchangedProjectIsNoop() {
        let plan = Planner.plan(desired: [DesiredService(name: "db", configHash: "a"), DesiredService(name: "web", configHash: "b")],
                                actual: [container("db", 1, hash: "a"), container("web", 1, hash: "b")],
                                waves: [["db"], ["web"]], options: PlanOptions(projectServices: ["db", "web"]))
        #expect(plan.isNoop)
        #expect(plan.waves.count == 2)
    }

    @Test func dependentWithRestartTrueRestartsWhenDependencyRecreated() {
        let desired = [
            DesiredService(name: "db", configHash: "new"),
            DesiredService(name: "web", configHash: "w", dependencies: ["db": DependencyEdge(restartOnUpdate: true)]),
            DesiredService(name: "worker", configHash: "k", dependencies: ["db": DependencyEdge()]),
        ]
        let plan = Planner.plan(desired: desired,
                                actual: [container("db", 1, hash: "old"), container("web", 1, hash: "w"),
                                         container("worker", 1, hash: "k")],
                                waves: [["db"], ["web", "worker"]],
                                options: PlanOptions(projectServices: ["db", "web", "worker"]))
        #expect(describe(plan) == [
            "recreate db-1 (configuration changed)",
            "restart web-1 (dependency db was updated (restart: true))",
            "keep worker-1",
        ])
    }

    @Test func dependentSharingANetworkIsRecreatedWhenItsOwnerIsReplaced() {
        let desired = [
            DesiredService(name: "vpn", configHash: "new"),
            DesiredService(name: "app", configHash: "a", dependencies: ["vpn": DependencyEdge(sharesNetwork: true)]),
            DesiredService(name: "sidecar", configHash: "s", dependencies: ["app": DependencyEdge(sharesNetwork: true)]),
            DesiredService(name: "other", configHash: "o", dependencies: ["vpn": DependencyEdge()]),
        ]
        let waves = [["vpn"], ["app", "other"], ["sidecar"]]
        let options = PlanOptions(projectServices: ["vpn", "app", "sidecar", "other"])
        let plan = Planner.plan(desired: desired,
                                actual: [container("vpn", 1, hash: "old"), container("app", 1, hash: "a"),
                                         container("sidecar", 1, hash: "s"), container("other", 1, hash: "o")],
                                waves: waves, options: options)
        // The chain follows: sidecar shares app's namespace, which is app's new one.
        #expect(describe(plan) == [
            "recreate vpn-1 (configuration changed)",
            "recreate app-1 (uses the network of vpn, which is being replaced)",
            "keep other-1",
            "recreate sidecar-1 (uses the network of app, which is being replaced)",
        ])
        // The owner created anew (its container was removed) counts as replaced too…
        let recreated = Planner.plan(desired: desired,
                                     actual: [container("app", 1, hash: "a"), container("sidecar", 1, hash: "s")],
                                     waves: waves, options: options)
        #expect(describe(recreated).prefix(2) == ["create vpn-1 (not created yet)",
                                                   "recreate app-1 (uses the network of vpn, which is being replaced)"])
        // …but an owner that is only kept, or scaled up, replaces nothing.
        let scaled = Planner.plan(desired: [DesiredService(name: "vpn", replicas: 2, configHash: "new")] + desired.dropFirst(),
                                  actual: [container("vpn", 1, hash: "new"), container("app", 1, hash: "a"),
                                           container("sidecar", 1, hash: "s"), container("other", 1, hash: "o")],
                                  waves: waves, options: options)
        #expect(describe(scaled) == ["keep vpn-1", "create vpn-2 (scaled up)", "keep app-1", "keep other-1", "keep sidecar-1"])
    }

    @Test func orphansAreReportedOrRemoved() {
        let actual = [container("web", 1), container("old", 1)]
        let desired = [DesiredService(name: "web", configHash: "h1")]
        let warned = Planner.plan(desired: desired, actual: actual, waves: [["web"]],
                                  options: PlanOptions(projectServices: ["web"]))
        #expect(warned.orphans.map(\.name) == ["p-old-1"])
        #expect(warned.orphanRemovals.isEmpty)
        #expect(warned.isNoop)
        let removed = Planner.plan(desired: desired, actual: actual, waves: [["web"]],
                                   options: PlanOptions(removeOrphans: true, projectServices: ["web"]))
        #expect(removed.orphans.isEmpty)
        #expect(removed.orphanRemovals == [.remove(container: actual[1], reason: .orphan)])
        #expect(!removed.isNoop)
    }

    @Test func servicesOutsideTheWavesAreUntouched() {
        let plan = Planner.plan(desired: [DesiredService(name: "web", configHash: "x")],
                                actual: [container("db", 1, hash: "old")], waves: [["web"]],
                                options: PlanOptions(projectServices: ["web", "db"]))
        #expect(describe(plan) == ["create web-1 (not created yet)"])
        #expect(plan.orphans.isEmpty)
    }

    @Test func containerNamesFollowCompose() {
        #expect(ProjectLabels.containerName(project: "hello", service: "web", number: 2) == "hello-web-2")
        let labels = ProjectLabels.forContainer(project: "p", service: "s", number: 3, configHash: "abc")
        #expect(labels[ProjectLabels.number] == "3")
        #expect(labels[ProjectLabels.oneOff] == "False")
    }
}

@Suite struct OneShotPlanningTests {
    @Test func completedOneShotIsLeftAloneUnlessStoppedByUser() {
        var seed = DesiredService(name: "seed", configHash: "h1")
        seed.runsToCompletion = true
        let done = ActualContainer(id: "1", name: "p-seed-1", service: "seed", number: 1, configHash: "h1", status: .exited(0))
        let plan = Planner.plan(desired: [seed], actual: [done], waves: [["seed"]], options: PlanOptions(projectServices: ["seed"]))
        #expect(plan.isNoop)
        var stopped = done
        stopped.stoppedByUser = true
        let again = Planner.plan(desired: [seed], actual: [stopped], waves: [["seed"]], options: PlanOptions(projectServices: ["seed"]))
        #expect(again.waves.flatMap { $0 } == [.start(container: stopped, reason: .notRunning)])
        var failed = done
        failed.status = .exited(1)
        let retry = Planner.plan(desired: [seed], actual: [failed], waves: [["seed"]], options: PlanOptions(projectServices: ["seed"]))
        #expect(!retry.isNoop)
    }
}
