import BerthTestSupport
import Foundation
import Runtime
import SystemCalls
import Testing

@Suite(.serialized, .requiresRoot, .requiresTool("/bin/busybox"))
struct RuntimeIsolationTests {
    @Test func pidOneHostnameAndNoHostProcesses() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let r = try Harness.run(Harness.plan("echo $$; hostname; ls /proc | grep '^[0-9]' | tr '\\n' ' '", root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.prefix(2) == ["1", "ctr-\(t.prefix)"])
            // Only the shell and its pipeline: pids 1…3, none of the host's.
            let pids = lines.last.map { $0.split(separator: " ").compactMap { Int($0) } } ?? []
            #expect(!pids.isEmpty && pids.allSatisfy { $0 <= 3 }, "\(pids)")
            #expect(Harness.cgroups(containing: t.prefix).isEmpty)
        }
    }
}
