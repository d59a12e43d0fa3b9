import Testing
import Engine
@testable import BerthCLI

/// Attached `up`: which services are shown and which exits are reported.
@Suite struct UpAttachTests {
    struct ShownCase: Sendable, CustomTestStringConvertible {
        var name: String
        var attach: [String]
        var noAttach: [String]
        var shown: Set<String>
        var testDescription: String { name }
    }

    @Test(arguments: [
        ShownCase(name: "the attached ones by default", attach: [], noAttach: [], shown: ["db", "web", "worker"]),
        ShownCase(name: "--attach restricts", attach: ["web"], noAttach: [], shown: ["web"]),
        ShownCase(name: "--no-attach removes", attach: [], noAttach: ["db"], shown: ["web", "worker"]),
        ShownCase(name: "both", attach: ["web", "db"], noAttach: ["db"], shown: ["web"]),
    ])
    func shownServices(_ c: ShownCase) {
        #expect(UpCommand.shownServices(attached: ["db", "web", "worker"], attach: c.attach, noAttach: c.noAttach) == c.shown)
    }

    func container(_ name: String, _ status: ActualContainer.Status) -> ActualContainer {
        ActualContainer(id: name, name: name, service: name, number: 1, configHash: "h", status: status)
    }

    @Test func exitsAreReportedOncePerExitAndNotForContainersThatHadAlreadyExited() {
        var watch = ExitWatch(alreadyExited: ["old"])
        var exits = watch.newExits([container("web", .running), container("old", .exited(0)), container("job", .exited(3))])
        #expect(exits.map(\.container.name) == ["job"])
        #expect(exits.map(\.code) == [3])
        #expect(watch.newExits([container("web", .running), container("job", .exited(3))]).isEmpty)
        // web exits; job runs again and exits again; a dead container counts as an exit.
        _ = watch.newExits([container("job", .running)])
        exits = watch.newExits([container("web", .exited(0)), container("job", .exited(1)), container("gone", .dead)])
        #expect(exits.map(\.container.name) == ["gone", "job", "web"])
        #expect(exits.map(\.code) == [255, 1, 0])
    }

    @Test func abortOnFailureIgnoresSuccessfulExits() {
        #expect(Abort.onFailure.triggers(on: 3) && !Abort.onFailure.triggers(on: 0))
        #expect(Abort.onExit.triggers(on: 0) && Abort.onExit.triggers(on: 3))
        #expect(!Abort.never.triggers(on: 3))
    }
}
