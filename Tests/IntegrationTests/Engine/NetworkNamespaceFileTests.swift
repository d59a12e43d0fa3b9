import Testing
import Foundation
import BerthTestSupport
import Networking
import IPAddress
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .requiresRoot)
struct NetworkNamespaceFileTests {
    @Test func createsAPinnedNamespaceWithLoopbackUpAndRemovesIt() async throws {
        try await withTestRoot { t in
            let path = t.run.appendingPathComponent("netns/c1").path
            try NetworkNamespaceFile.create(at: path)
            t.defer_("netns") { try NetworkNamespaceFile.remove(at: path) }
            #expect(NetworkNamespaceFile.exists(at: path))

            // The namespace differs from ours and its loopback is up.
            let inside = try runProcess(URL(fileURLWithPath: "/usr/bin/nsenter"),
                                        ["--net=\(path)", "/usr/sbin/ip", "-o", "link", "show", "lo"])
            #expect(inside.status == 0)
            #expect(inside.stdout.contains("UP"))
            let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
            let theirs = try runProcess(URL(fileURLWithPath: "/usr/bin/nsenter"),
                                        ["--net=\(path)", "/usr/bin/readlink", "/proc/self/ns/net"])
            #expect(theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != mine)

            // A second create on the same path is refused and changes nothing.
            #expect(throws: (any Error).self) { try NetworkNamespaceFile.create(at: path) }
            #expect(NetworkNamespaceFile.exists(at: path))

            try NetworkNamespaceFile.remove(at: path)
            #expect(!NetworkNamespaceFile.exists(at: path))
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    /// The socket made with the namespace works in it (not in ours), and a
    /// batch of requests (one datagram) applies each in order, reports the
    /// first refused one by its own description, and leaves the socket in
    /// step for the next request.
    @Test func openingSocketAndBatchedRequests() async throws {
        try await withTestRoot { t in
            let path = t.run.appendingPathComponent("netns/c2").path
            let socket = try NetworkNamespaceFile.createOpeningSocket(at: path)
            t.defer_("netns") { try NetworkNamespaceFile.remove(at: path) }
            #expect(NetworkNamespaceFile.exists(at: path))
            let inside = LinkControl(socket)
            // A fresh namespace: `lo` only, down.
            #expect(try inside.links().map(\.name) == ["lo"])
            #expect(try inside.link(named: "lo")?.up == false)

            let error = #expect(throws: SystemError.self) {
                try socket.requestAll([
                    (.setLinkUp(name: "lo"), "set link lo up"),
                    (.newAddress(IPv4Address(10, 1, 2, 3), prefix: 32, index: 1), "add address to lo"),
                    (.setLinkUp(name: "nosuchlink"), "set link nosuchlink up"),
                    (.setLinkUp(name: "nosuchlink2"), "set link nosuchlink2 up"),
                ])
            }
            #expect(error?.errno == ENODEV)
            #expect(error.map { "\($0)" }?.contains("nosuchlink up") == true)
            // The requests before (and around) the refused one were applied.
            #expect(try inside.link(named: "lo")?.up == true)
            #expect(try inside.addresses().contains { $0.ipv4 == IPv4Address(10, 1, 2, 3) })
            // A batch that succeeds returns; the socket is in step afterwards.
            try socket.requestAll([(.setLinkUp(name: "lo"), "set link lo up")])
            #expect(try inside.links().map(\.name) == ["lo"])
        }
    }
}
