import BerthTestSupport
import Foundation
import Testing

/// `berth network …` end to end through the built binary. Part of
/// NetworkSerialTests so that it never runs beside the other network tests
/// (the leak check compares machine-wide snapshots).
extension NetworkSerialTests {
    @Test func createListInspectRemove() async throws {
        try await withTestRoot { t in
            let name = "\(t.prefix)_net"
            let created = try t.berth("network", "create", "--subnet", "10.213.7.0/24", "--gateway", "10.213.7.1",
                                      "--ip-range", "10.213.7.128/25", "--label", "com.example=yes", name)
            #expect(created.status == 0, "\(created.stderr)")
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 64)
            t.defer_("rm \(name)") { _ = try t.berth("network", "rm", "-f", name) }

            let dup = try t.berth("network", "create", name)
            #expect(dup.status == 1 && dup.stderr == "Error: network with name \(name) already exists\n")

            let ls = try t.berth("network", "ls")
            #expect(ls.stdout.hasPrefix("NETWORK ID"))
            #expect(ls.stdout.contains("\(id.prefix(12))   \(name)   bridge   local"))
            let q = try t.berth("network", "ls", "-q", "--filter", "label=com.example=yes")
            #expect(q.stdout == "\(id.prefix(12))\n")
            let none = try t.berth("network", "ls", "-q", "--filter", "label=other")
            #expect(none.stdout.isEmpty)
            let json = try t.berth("network", "ls", "--format", "json")
            let row = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String])
            #expect(row["Name"] == name && row["Driver"] == "bridge" && row["Internal"] == "false")

            let inspect = try t.berth("network", "inspect", name)
            let arr = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]])
            let ipam = try #require(arr.first?["IPAM"] as? [String: Any])
            let config = try #require((ipam["Config"] as? [[String: String]])?.first)
            #expect(config == ["Subnet": "10.213.7.0/24", "Gateway": "10.213.7.1", "IPRange": "10.213.7.128/25"])
            let bridge = try #require((arr.first?["Options"] as? [String: String])?["com.docker.network.bridge.name"])
            #expect(try HostLinks.exists(bridge))

            let rm = try t.berth("network", "rm", name)
            #expect(rm.status == 0 && rm.stdout == "\(name)\n")
            #expect(try !HostLinks.exists(bridge))
            #expect(try t.berth("network", "ls", "-q").stdout.isEmpty)
            let missing = try t.berth("network", "rm", name)
            #expect(missing.status == 1 && missing.stderr == "Error: network \(name) not found\n")
        }
    }

    @Test func pruneRemovesUnusedNetworks() async throws {
        try await withTestRoot { t in
            for n in ["a", "b"] {
                let r = try t.berth("network", "create", "\(t.prefix)_\(n)", "--label", "keep=\(n == "a")")
                #expect(r.status == 0, "\(r.stderr)")
            }
            t.defer_("prune") { _ = try t.berth("network", "prune", "-f") }
            let pruned = try t.berth("network", "prune", "-f", "--filter", "label=keep=false")
            #expect(pruned.stdout == "Deleted Networks:\n\(t.prefix)_b\n")
            #expect(try t.berth("network", "ls", "--format", "json").stdout.contains("\(t.prefix)_a"))
            let all = try t.berth("network", "prune", "-f")
            #expect(all.stdout == "Deleted Networks:\n\(t.prefix)_a\n")
        }
    }
}
