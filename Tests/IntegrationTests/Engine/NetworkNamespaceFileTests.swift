import Testing
import Foundation
import BerthTestSupport
import Networking

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
}
