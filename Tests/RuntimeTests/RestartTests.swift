import Testing
@testable import Runtime

@Suite struct RestartPolicyTests {
    struct ParseCase: CustomTestStringConvertible, Sendable {
        var text: String
        var expected: RestartPolicy?
        var testDescription: String { text.isEmpty ? "(empty)" : text }
    }

    static let parseCases: [ParseCase] = [
        ParseCase(text: "no", expected: .no),
        ParseCase(text: "", expected: .no),
        ParseCase(text: "always", expected: .always),
        ParseCase(text: "unless-stopped", expected: .unlessStopped),
        ParseCase(text: "on-failure", expected: .onFailure(maxRetries: 0)),
        ParseCase(text: "on-failure:3", expected: .onFailure(maxRetries: 3)),
        ParseCase(text: "on-failure:-1", expected: nil),
        ParseCase(text: "on-failure:x", expected: nil),
        ParseCase(text: "sometimes", expected: nil),
    ]

    @Test(arguments: parseCases)
    func parse(_ c: ParseCase) {
        #expect(RestartPolicy.parse(c.text) == c.expected)
    }

    struct DecisionCase: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: RestartPolicy
        var exitCode: Int32
        var restarts: Int
        var stoppedByUser: Bool
        var restart: Bool
        var testDescription: String { name }
    }

    static let decisions: [DecisionCase] = [
        DecisionCase(name: "no never restarts", policy: .no, exitCode: 1, restarts: 0, stoppedByUser: false, restart: false),
        DecisionCase(name: "always restarts a clean exit", policy: .always, exitCode: 0, restarts: 5, stoppedByUser: false, restart: true),
        DecisionCase(name: "always respects a user stop", policy: .always, exitCode: 137, restarts: 0, stoppedByUser: true, restart: false),
        DecisionCase(name: "unless-stopped respects a user stop", policy: .unlessStopped, exitCode: 0, restarts: 0, stoppedByUser: true, restart: false),
        DecisionCase(name: "on-failure ignores success", policy: .onFailure(maxRetries: 2), exitCode: 0, restarts: 0, stoppedByUser: false, restart: false),
        DecisionCase(name: "on-failure:2 first retry", policy: .onFailure(maxRetries: 2), exitCode: 1, restarts: 0, stoppedByUser: false, restart: true),
        DecisionCase(name: "on-failure:2 second retry", policy: .onFailure(maxRetries: 2), exitCode: 1, restarts: 1, stoppedByUser: false, restart: true),
        DecisionCase(name: "on-failure:2 gives up after two", policy: .onFailure(maxRetries: 2), exitCode: 1, restarts: 2, stoppedByUser: false, restart: false),
        DecisionCase(name: "on-failure unlimited", policy: .onFailure(maxRetries: 0), exitCode: 3, restarts: 1000, stoppedByUser: false, restart: true),
    ]

    @Test(arguments: decisions)
    func decision(_ c: DecisionCase) {
        #expect(c.policy.shouldRestart(exitCode: c.exitCode, restartCount: c.restarts, stoppedByUser: c.stoppedByUser) == c.restart)
    }

    @Test func codableShapeIsDockers() throws {
        let json = try RecordCoding.encode(RestartPolicy.onFailure(maxRetries: 2))
        #expect(json.compact == #"{"Name":"on-failure","MaximumRetryCount":2}"#)
        #expect(try RecordCoding.decode(RestartPolicy.self, from: json) == .onFailure(maxRetries: 2))
        #expect(RestartPolicy.onFailure(maxRetries: 2).description == "on-failure:2")
    }
}

@Suite struct RestartBackoffTests {
    @Test func doublesFrom100msUpToAMinute() {
        var b = RestartBackoff()
        let delays = (0..<12).map { _ in b.next(ranFor: 0.5) }
        #expect(delays.prefix(5) == [0.1, 0.2, 0.4, 0.8, 1.6])
        #expect(delays.last == 60)
        #expect(delays.allSatisfy { $0 <= 60 })
    }

    @Test func resetsAfterTenSecondsUp() {
        var b = RestartBackoff()
        _ = b.next(ranFor: 1)
        _ = b.next(ranFor: 1)
        #expect(b.next(ranFor: 1) == 0.4)
        #expect(b.next(ranFor: 10) == 0.1)
        #expect(b.next(ranFor: 9.9) == 0.2)
    }
}
