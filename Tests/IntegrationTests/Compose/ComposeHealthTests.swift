import Foundation
import Testing
import BerthTestSupport

/// Healthchecks are probed by each container's monitor, so the verdict goes
/// on changing after `berth up` has exited, as with Docker's daemon.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposeHealthTests {
    static let sample = Repository.root.appendingPathComponent("compose-samples/health")

    func berth(_ t: TestRoot, _ args: [String]) throws -> CommandResult {
        try t.compose(args, in: Self.sample, timeout: 60)
    }


    /// Polls `compose ps` until the service's status line contains `text`.
    func waitForStatus(_ t: TestRoot, _ service: String, _ text: String) async throws -> String {
        var line = ""
        for _ in 0..<100 {
            let ps = try berth(t, ["compose", "ps", "--format", "json", service])
            line = ps.stdout
            if line.contains(text) { return line }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return line
    }

    @Test func monitorKeepsProbingAfterUpExits() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            t.defer_("down") { _ = try self.berth(t, ["down", "-t", "1"]) }
            let up = try berth(t, ["up", "-d", "--wait", "flaky"])
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stderr.contains("Container \(t.prefix)-flaky-1  Healthy"), "\(up.stderr)")

            // `up` has exited: the monitor notices the file going away...
            #expect(try berth(t, ["compose", "exec", "-T", "flaky", "rm", "/tmp/ready"]).status == 0)
            let unhealthy = try await waitForStatus(t, "flaky", "(unhealthy)")
            #expect(unhealthy.contains("(unhealthy)"), "\(unhealthy)")
            // ...and coming back.
            #expect(try berth(t, ["compose", "exec", "-T", "flaky", "touch", "/tmp/ready"]).status == 0)
            let healthy = try await waitForStatus(t, "flaky", "(healthy)")
            #expect(healthy.contains("(healthy)"), "\(healthy)")
            let table = try berth(t, ["compose", "ps", "flaky"])
            #expect(table.stdout.contains("(healthy)"), "\(table.stdout)")
        }
    }

    @Test func aProbeOverItsTimeoutIsKilledAndCountsAsAFailure() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            t.defer_("down") { _ = try self.berth(t, ["down", "-t", "1"]) }
            let up = try berth(t, ["up", "-d", "--wait", "--wait-timeout", "20", "slow"])
            #expect(up.status != 0)
            #expect(up.stderr.contains("unhealthy"), "\(up.stderr)")
            #expect(up.stderr.contains("timed out after 300ms"), "\(up.stderr)")
            // The probe process (sleep 5) was killed, not left inside the container.
            let top = try berth(t, ["compose", "top", "slow"])
            #expect(!top.stdout.contains("sleep 5"), "\(top.stdout)")
        }
    }
}
