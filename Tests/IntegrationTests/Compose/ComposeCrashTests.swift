import Foundation
import Testing
import BerthTestSupport

/// `berth up` killed with SIGKILL at several points: the next `berth up`
/// converges to the desired stack, and `berth down` removes everything the
/// killed run created (the test root's leak check covers mounts, processes,
/// links, nftables tables and cgroups).
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposeCrashTests {
    static let sample = Repository.root.appendingPathComponent("compose-samples/stack")

    struct KillPoint: CustomTestStringConvertible, Sendable {
        var seconds: Double
        var testDescription: String { "killed after \(seconds) s" }
    }

    func berth(_ t: TestRoot, _ args: [String], port: Int, killAfter: Double = 300) throws -> CommandResult {
        try t.compose(args, in: Self.sample, env: ["WEB_PORT": String(port)], timeout: killAfter)
    }


    @Test(arguments: [KillPoint(seconds: 0.2), KillPoint(seconds: 0.4), KillPoint(seconds: 1.0), KillPoint(seconds: 2.5)])
    func upAfterAKilledUpConverges(_ point: KillPoint) async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }

            let killed = try berth(t, ["up", "-d"], port: port, killAfter: point.seconds)
            #expect(killed.status == 137 || killed.status == 0, "\(killed.stderr)")

            let up = try berth(t, ["up", "-d"], port: port)
            #expect(up.status == 0, "\(up.stderr)")
            let running = try berth(t, ["compose", "ps", "--services"], port: port)
            #expect(running.stdout.split(separator: "\n") == ["replica", "web", "worker"], "\(running.stdout)")
            let replicas = try berth(t, ["compose", "ps", "-q", "replica"], port: port)
            #expect(replicas.stdout.split(separator: "\n").count == 3)
            let page = try runProcess(URL(fileURLWithPath: "/bin/busybox"),
                                      ["wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/"], timeout: 10)
            #expect(page.stdout.contains("stack sample"), "\(page.stderr)")
        }
    }

    /// The state a `down` killed between removing its containers and
    /// removing their networks leaves (it no longer rewrites the network
    /// records one removal at a time): the container's files and pinned
    /// namespace gone, its endpoint, DNS names and published port still in
    /// the network's record. Made here by hand, at a known point.
    func vanish(_ t: TestRoot, service: String, port: Int) throws {
        let id = try berth(t, ["compose", "ps", "-q", service], port: port).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 64, "\(id)")
        #expect(try berth(t, ["compose", "stop", service], port: port).status == 0)
        let pin = t.run.appendingPathComponent("netns/\(id)").path
        _ = umount2(pin, Int32(MNT_DETACH))
        try FileManager.default.removeItem(atPath: pin)
        try FileManager.default.removeItem(at: t.root.appendingPathComponent("containers/\(id)"))
        try? FileManager.default.removeItem(at: t.run.appendingPathComponent("containers/\(id)"))
        let records = try FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("networks").path)
            .filter { $0.hasSuffix(".json") }
            .map { try String(contentsOf: t.root.appendingPathComponent("networks/\($0)"), encoding: .utf8) }
        #expect(records.contains { $0.contains(id) }, "the endpoint stays in the record")
    }

    @Test func upAndDownConvergeFromEndpointsOfVanishedContainers() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"], port: port) }
            #expect(try berth(t, ["up", "-d"], port: port).status == 0)
            try vanish(t, service: "web", port: port)

            // The same host port and name again: the stale endpoint is dropped.
            let up = try berth(t, ["up", "-d"], port: port)
            #expect(up.status == 0, "\(up.stderr)")
            let page = try runProcess(URL(fileURLWithPath: "/bin/busybox"),
                                      ["wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/"], timeout: 10)
            #expect(page.stdout.contains("stack sample"), "\(page.stderr)")
            let lookup = try berth(t, ["compose", "exec", "-T", "worker", "nslookup", "web"], port: port)
            #expect(lookup.stdout.components(separatedBy: "Address:").count == 3, "one address for web: \(lookup.stdout)")

            try vanish(t, service: "web", port: port)
            let before = LeakCheck.Snapshot.take()
            let down = try berth(t, ["down", "-v", "-t", "1"], port: port)
            #expect(down.status == 0, "\(down.stderr)")
            let networks = (try? FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("networks").path)) ?? []
            #expect(networks.filter { $0.hasSuffix(".json") }.isEmpty, "\(networks)")
            #expect(LeakCheck.leaks(under: t.directory.path, since: before).isEmpty)
        }
    }

    @Test(arguments: [KillPoint(seconds: 0.5), KillPoint(seconds: 2.0)])
    func downAfterAKilledUpLeavesNothing(_ point: KillPoint) async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let port = Int.random(in: 20000...29999)
            let before = LeakCheck.Snapshot.take()
            _ = try berth(t, ["up", "-d"], port: port, killAfter: point.seconds)

            let down = try berth(t, ["down", "-v", "-t", "1"], port: port)
            #expect(down.status == 0, "\(down.stderr)")
            let left = try berth(t, ["compose", "ps", "-a", "-q"], port: port)
            #expect(left.stdout.isEmpty)
            #expect(LeakCheck.leaks(under: t.directory.path, since: before).isEmpty)
            let networks = (try? FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("networks").path)) ?? []
            #expect(networks.filter { $0.hasSuffix(".json") }.isEmpty, "\(networks)")
            let volumes = (try? FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("volumes").path)) ?? []
            #expect(volumes.isEmpty, "\(volumes)")
        }
    }
}
