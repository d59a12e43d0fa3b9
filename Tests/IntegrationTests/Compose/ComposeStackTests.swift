import Testing
import Foundation
import BerthTestSupport

/// `up`/`down` of compose-samples/stack through the real berth binary:
/// real containers, real bridge, real DNS, real published port.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposeStackTests {
    static let sample = Repository.root.appendingPathComponent("compose-samples/stack")

    /// Runs berth with the test's state, a per-test project name and web port.
    func berth(_ t: TestRoot, _ args: [String], port: Int) throws -> CommandResult {
        try t.compose(args, in: Self.sample, env: ["WEB_PORT": String(port)])
    }


    func httpGet(port: Int) throws -> CommandResult {
        // Not wget -T: busybox-static wget (1.35) segfaults with a timeout on this host.
        try runProcess(URL(fileURLWithPath: "/bin/busybox"), ["wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/"], timeout: 10)
    }

    @Test func upServesDependsAndDownLeavesNothing() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }

            let up = try berth(t, ["up", "-d"], port: port)
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stderr.contains("Container \(t.prefix)-migrate-1  Exited"))
            #expect(up.stderr.contains("Container \(t.prefix)-web-1  Healthy"))

            // The host reaches the published port; the worker reached web by name.
            let page = try httpGet(port: port)
            #expect(page.stdout.contains("stack sample"), "\(page.stderr)")
            var logs = try berth(t, ["compose", "logs", "--no-color", "worker"], port: port)
            for _ in 0..<50 {
                logs = try berth(t, ["compose", "logs", "--no-color", "worker"], port: port)
                if logs.stdout.contains("migrated") { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(logs.stdout.contains("\(t.prefix)-worker-1  | <p>stack sample</p>"))
            #expect(logs.stdout.contains("\(t.prefix)-worker-1  | migrated"))
            // Docker's selection: relative --since, absolute --until, --tail, no prefix.
            let recent = try berth(t, ["compose", "logs", "--no-color", "--since", "1h", "worker"], port: port)
            #expect(recent.stdout.contains("| migrated"))
            let old = try berth(t, ["compose", "logs", "--no-color", "--until", "2000-01-01T00:00:00Z", "worker"], port: port)
            #expect(old.status == 0 && old.stdout.isEmpty, "\(old.stdout)")
            let last = try berth(t, ["compose", "logs", "--no-color", "--no-log-prefix", "--tail", "1", "worker"], port: port)
            #expect(last.stdout == "migrated\n", "\(last.stdout)")

            // Three replicas; the profile-gated service is not started.
            let ps = try berth(t, ["compose", "ps", "--services"], port: port)
            #expect(ps.stdout.split(separator: "\n") == ["replica", "web", "worker"])
            let replicas = try berth(t, ["compose", "ps", "-q", "replica"], port: port)
            #expect(replicas.stdout.split(separator: "\n").count == 3)
            // The service name resolves to every replica; each replica by its own name.
            let lookup = try berth(t, ["compose", "exec", "-T", "worker", "nslookup", "replica"], port: port)
            #expect(lookup.stdout.components(separatedBy: "Name:\treplica").count - 1 == 3, "\(lookup.stdout)")
            let ping = try berth(t, ["compose", "exec", "-T", "worker", "ping", "-c", "1", "-W", "2", "\(t.prefix)-replica-2"], port: port)
            #expect(ping.status == 0, "\(ping.stdout)\(ping.stderr)")
            // Compose's table: CREATED, Docker's status wording, published ports.
            let table = try berth(t, ["compose", "ps", "web"], port: port)
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.first?.contains("CREATED") == true && lines.first?.contains("PORTS") == true, "\(table.stdout)")
            #expect(lines.last?.contains("   Up ") == true, "\(table.stdout)")
            #expect(lines.last?.hasSuffix("127.0.0.1:\(port)->8080/tcp") == true, "\(table.stdout)")

            // An unchanged project: nothing to do.
            let plan = try berth(t, ["up", "--dry-run"], port: port)
            #expect(plan.stdout.contains("nothing to do"), "\(plan.stdout)")

            let down = try berth(t, ["down", "-t", "1"], port: port)
            #expect(down.status == 0, "\(down.stderr)")
            #expect(down.stderr.contains("Network \(t.prefix)_default  Removed"))
            #expect(try httpGet(port: port).status != 0)
            let after = try berth(t, ["compose", "ps", "-a", "-q"], port: port)
            #expect(after.stdout.isEmpty)
        }
    }

    @Test func namedVolumeSurvivesDownAndGoesWithDownV() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }
            #expect(try berth(t, ["up", "-d", "migrate"], port: port).status == 0)
            let data = t.root.appendingPathComponent("volumes/\(t.prefix)_data/_data/migrated").path
            #expect(FileManager.default.fileExists(atPath: data))
            #expect(try berth(t, ["down"], port: port).status == 0)
            #expect(FileManager.default.fileExists(atPath: data))
            let downV = try berth(t, ["down", "-v", "--rmi", "all"], port: port)
            #expect(downV.status == 0, "\(downV.stderr)")
            #expect(!FileManager.default.fileExists(atPath: data))
            // --rmi all: the image the services named is gone from the store.
            #expect(downV.stderr.contains("Image busybox:latest  Removed"), "\(downV.stderr)")
            #expect(try t.berth("images", "-q").stdout.isEmpty)
            #expect(try berth(t, ["down", "--rmi", "nope"], port: port).status != 0)
        }
    }

    @Test func profileEnablesAServiceAndScaleOverridesReplicas() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down") { _ = try self.berth(t, ["--profile", "debug", "down", "-t", "1"], port: port) }
            let up = try berth(t, ["--profile", "debug", "up", "-d", "--scale", "replica=1", "debug", "replica"], port: port)
            #expect(up.status == 0, "\(up.stderr)")
            let ps = try berth(t, ["--profile", "debug", "compose", "ps", "--services"], port: port)
            #expect(ps.stdout.split(separator: "\n") == ["debug", "replica"])
            let replicas = try berth(t, ["compose", "ps", "-q", "replica"], port: port)
            #expect(replicas.stdout.split(separator: "\n").count == 1)
        }
    }

    @Test func aPortConflictNamesTheServiceAndDownCleansUp() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            let other = t.prefix + "b"
            func berthOther(_ args: [String]) throws -> CommandResult {
                try runProcess(Repository.berthExecutable, ["-p", other] + args,
                               environment: t.environment.merging(["WEB_PORT": String(port)]) { _, new in new },
                               directory: Self.sample, timeout: 120)
            }
            t.defer_("down") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }
            t.defer_("down other") { _ = try berthOther(["down", "-v", "-t", "1"]) }
            #expect(try berth(t, ["up", "-d", "web"], port: port).status == 0)
            let clash = try berthOther(["up", "-d", "web"])
            #expect(clash.status == 1)
            #expect(clash.stderr.contains("service \"web\": container \(other)-web-1: Bind for 127.0.0.1:\(port) failed: port is already allocated"),
                    "\(clash.stderr)")
            // The first project still serves; the second one's leftovers go with down.
            #expect(try httpGet(port: port).stdout.contains("stack sample"))
            #expect(try berthOther(["down", "-v", "-t", "1"]).status == 0)
            #expect(try berthOther(["compose", "ps", "-a", "-q"]).stdout.isEmpty)
        }
    }

    @Test func missingImageIsAClearErrorAndChangesNothing() async throws {
        try await withTestRoot { t in
            let port = Int.random(in: 20000...29999)
            let up = try berth(t, ["up", "-d"], port: port)
            #expect(up.status == 1)
            #expect(up.stderr.contains("image busybox:latest is not in berth's store"), "\(up.stderr)")
            let networks = (try? FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("networks").path)) ?? []
            #expect(networks.filter { $0.hasSuffix(".json") }.isEmpty)
        }
    }
}
