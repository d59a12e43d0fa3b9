import Testing
import Foundation
import BerthTestSupport

/// The project-scoped commands on existing containers (start, stop,
/// restart, kill, pause, rm, top, port, images, ls, wait, events) of
/// compose-samples/lifecycle through the real berth binary.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposeLifecycleTests {
    static let sample = Repository.root.appendingPathComponent("compose-samples/lifecycle")

    /// Runs berth with the test's state, a per-test project name and web port.
    func berth(_ t: TestRoot, _ args: [String], port: Int, stdin: Data? = nil, timeout: Double = 60) throws -> CommandResult {
        try t.compose(args, in: Self.sample, env: ["WEB_PORT": String(port)], stdin: stdin, timeout: timeout)
    }


    func httpGet(_ address: String, timeout: Double = 10) throws -> CommandResult {
        try runProcess(URL(fileURLWithPath: "/bin/busybox"), ["wget", "-q", "-O", "-", "http://\(address)/"], timeout: timeout)
    }

    /// `compose ps -a --format json` as (name → State, Status).
    func states(_ t: TestRoot, port: Int) throws -> [String: (state: String, status: String)] {
        let ps = try berth(t, ["compose", "ps", "-a", "--format", "json"], port: port)
        var out: [String: (String, String)] = [:]
        let items = (try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [[String: String]]) ?? []
        for item in items { out[item["Name"] ?? ""] = (item["State"] ?? "", item["Status"] ?? "") }
        return out
    }

    /// Both texts occur in `text`, `first` before `second`.
    func appears(_ first: String, before second: String, in text: String) -> Bool {
        guard let a = text.range(of: first), let b = text.range(of: second) else { return false }
        return a.lowerBound < b.lowerBound
    }

    func startedAt(_ t: TestRoot, _ name: String) throws -> String {
        let inspect = try t.berth("inspect", name)
        let items = (try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]) ?? []
        return ((items.first?["State"] as? [String: Any])?["StartedAt"] as? String) ?? ""
    }

    @Test func stopStartRestartKillPauseAndQueries() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            let web = "\(t.prefix)-web-1", db = "\(t.prefix)-db-1"
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }
            let up = try berth(t, ["up", "-d"], port: port)
            #expect(up.status == 0, "\(up.stderr)")

            // stop: dependents first, then ps -a shows them exited.
            let stop = try berth(t, ["compose", "stop"], port: port)
            #expect(stop.status == 0, "\(stop.stderr)")
            #expect(stop.stderr.contains("Container \(web)  Stopped"), "\(stop.stderr)")
            #expect(appears("Container \(web)  Stopped", before: "Container \(db)  Stopping", in: stop.stderr), "\(stop.stderr)")
            #expect(try states(t, port: port)[web]?.state == "exited")
            #expect(try httpGet("127.0.0.1:\(port)").status != 0)

            // start: running again, serving.
            let start = try berth(t, ["compose", "start"], port: port)
            #expect(start.status == 0, "\(start.stderr)")
            #expect(start.stderr.contains("Container \(db)  Started"))
            #expect(try states(t, port: port).values.allSatisfy { $0.state == "running" })

            // port prints the host address that answers HTTP.
            let published = try berth(t, ["compose", "port", "web", "8080"], port: port)
            #expect(published.stdout == "127.0.0.1:\(port)\n", "\(published.stderr)")
            var page = try httpGet(published.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            for _ in 0..<30 where !page.stdout.contains("lifecycle sample") {
                try await Task.sleep(nanoseconds: 100_000_000)
                page = try httpGet("127.0.0.1:\(port)")
            }
            #expect(page.stdout.contains("lifecycle sample"), "\(page.stderr)")
            let udp = try berth(t, ["compose", "port", "--protocol", "udp", "web", "8080"], port: port)
            #expect(udp.status != 0 && udp.stderr.contains("no port 8080/udp for container \(web): \(port)/tcp"), "\(udp.stderr)")

            // events in the background while web restarts: die then start.
            let before = try startedAt(t, web)
            // events has no "ready" line: give it 2 s to take its first snapshot (generous on a loaded machine).
            let events = Task.detached { try self.berth(t, ["compose", "events", "web"], port: port, timeout: 6) }
            try await Task.sleep(nanoseconds: 2_000_000_000)
            let restart = try berth(t, ["compose", "restart", "web"], port: port)
            #expect(restart.status == 0, "\(restart.stderr)")
            #expect(restart.stderr.contains("Container \(web)  Started"))
            #expect(!restart.stderr.contains(db), "only web restarts: \(restart.stderr)")
            #expect(try startedAt(t, web) != before)
            // top: the container's name, then its processes.
            let top = try berth(t, ["compose", "top", "web"], port: port)
            #expect(top.stdout.hasPrefix(web + "\nUID"), "\(top.stdout)")
            #expect(top.stdout.contains("httpd -f -p 8080"), "\(top.stdout)")

            // images and ls rows.
            let images = try berth(t, ["compose", "images"], port: port)
            let webRow = images.stdout.split(separator: "\n").first { $0.hasPrefix(web + " ") }.map(String.init) ?? ""
            #expect(webRow.split(separator: " ").prefix(3).map(String.init) == [web, "busybox", "latest"],
                    "\(images.stdout)")
            let ls = try berth(t, ["compose", "ls"], port: port)
            let row = ls.stdout.split(separator: "\n").first { $0.hasPrefix(t.prefix + " ") }.map(String.init) ?? ""
            #expect(row.contains("running(2)") && row.contains(Self.sample.path + "/compose.yaml"), "\(ls.stdout)")

            // (the events stream ran meanwhile)
            let streamed = try await events.value.stdout
            let webID = try berth(t, ["compose", "ps", "-q", "web"], port: port).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(appears("container die \(webID) (", before: "container start \(webID) (", in: streamed), "\(streamed)")
            #expect(streamed.contains("name=\(web)"))
            #expect(!streamed.contains(db), "only web's events: \(streamed)")

            // pause freezes the processes: HTTP stops answering until unpause.
            #expect(try berth(t, ["compose", "pause", "web"], port: port).status == 0)
            #expect(try states(t, port: port)[web]?.state == "paused")
            #expect(try httpGet("127.0.0.1:\(port)", timeout: 1.5).status != 0)
            let unpause = try berth(t, ["compose", "unpause"], port: port)
            #expect(unpause.stderr.contains("Container \(web)  Unpaused"), "\(unpause.stderr)")
            #expect(try httpGet("127.0.0.1:\(port)").stdout.contains("lifecycle sample"))

            // kill -s KILL: exit 137; ls -a counts it.
            let kill = try berth(t, ["compose", "kill", "-s", "KILL", "db"], port: port)
            #expect(kill.status == 0 && kill.stderr.contains("Container \(db)  Killed"), "\(kill.stderr)")
            var dbState = try states(t, port: port)[db]
            for _ in 0..<20 where dbState?.state != "exited" {
                try await Task.sleep(nanoseconds: 50_000_000)
                dbState = try states(t, port: port)[db]
            }
            #expect(dbState?.status.hasPrefix("Exited (137) ") == true, "\(String(describing: dbState))")
            let lsAll = try berth(t, ["compose", "ls", "-a", "--format", "json", "--filter", "name=\(t.prefix)"], port: port)
            #expect(lsAll.stdout.contains("\"Status\":\"exited(1), running(1)\""), "\(lsAll.stdout)")

            // rm: only stopped containers; without -f it asks.
            let refused = try berth(t, ["compose", "rm"], port: port, stdin: Data("n\n".utf8))
            #expect(refused.stdout.contains("Going to remove \(db)") && refused.stdout.contains("Are you sure? [yN]"))
            #expect(try states(t, port: port)[db] != nil)
            let rm = try berth(t, ["compose", "rm", "-f"], port: port)
            #expect(rm.status == 0 && rm.stdout == "Going to remove \(db)\n", "\(rm.stdout)\(rm.stderr)")
            #expect(try states(t, port: port).keys.sorted() == [web])
            let rmStop = try berth(t, ["compose", "rm", "-s", "-f", "web"], port: port)
            #expect(rmStop.stderr.contains("Container \(web)  Stopped") && rmStop.stderr.contains("Container \(web)  Removed"))
            #expect(try states(t, port: port).isEmpty)

            // A name that is not a service.
            let wrong = try berth(t, ["compose", "stop", "nope"], port: port)
            #expect(wrong.status == 1 && wrong.stderr.contains("no such service: nope"), "\(wrong.stderr)")
        }
    }

    @Test func waitReturnsTheExitCodeOfAOneShot() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down") { _ = try self.berth(t, ["--profile", "oneshot", "down", "-t", "1"], port: port) }
            let up = try berth(t, ["--profile", "oneshot", "up", "-d", "job", "db"], port: port)
            #expect(up.status == 0, "\(up.stderr)")
            let job = try berth(t, ["--profile", "oneshot", "compose", "ps", "-q", "job"], port: port).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let wait = try berth(t, ["--profile", "oneshot", "compose", "wait", "job"], port: port, timeout: 20)
            #expect(wait.status == 3, "\(wait.stderr)")
            #expect(wait.stdout == "container \"\(job)\" exited with status code 3\n", "\(wait.stdout)")
            // db still runs; a one-shot that already ended is not waited for.
            let ended = try berth(t, ["--profile", "oneshot", "compose", "wait", "job"], port: port, timeout: 20)
            #expect(ended.status == 1 && ended.stderr.contains("no containers for project"), "\(ended.stderr)")

            // --down-project: the first exit takes the project down.
            #expect(try berth(t, ["--profile", "oneshot", "compose", "start", "job"], port: port).status == 0)
            let down = try berth(t, ["--profile", "oneshot", "compose", "wait", "--down-project", "job"], port: port,
                                 timeout: 20)
            #expect(down.status == 3, "\(down.stderr)")
            #expect(down.stderr.contains("Container \(t.prefix)-db-1  Removed"), "\(down.stderr)")
            #expect(down.stderr.contains("Network \(t.prefix)_default  Removed"), "\(down.stderr)")
            let left = try berth(t, ["--profile", "oneshot", "compose", "ps", "-a", "-q"], port: port)
            #expect(left.stdout.isEmpty, "\(left.stdout)")
        }
    }

    @Test func aProjectWithoutContainers() async throws {
        try await withTestRoot { t in
            let port = Int.random(in: 20000...29999)
            let stop = try berth(t, ["compose", "stop"], port: port)
            #expect(stop.status == 0 && stop.stdout.isEmpty && stop.stderr.isEmpty, "\(stop.stderr)")
            let start = try berth(t, ["compose", "start"], port: port)
            #expect(start.status == 1 && start.stderr.contains("service \"db\" has no container to start"), "\(start.stderr)")
            let portCmd = try berth(t, ["compose", "port", "web", "8080"], port: port)
            #expect(portCmd.status == 1 && portCmd.stderr.contains("no container found for web_1"), "\(portCmd.stderr)")
            let ls = try berth(t, ["compose", "ls", "-a", "-q", "--filter", "name=\(t.prefix)"], port: port)
            #expect(ls.status == 0 && ls.stdout.isEmpty, "\(ls.stderr)")
        }
    }
}
