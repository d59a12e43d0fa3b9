import BerthTestSupport
import Foundation
import Testing

/// `berth stats` without `--no-stream`: a table (or JSON lines) per second
/// until SIGINT / SIGTERM; removed containers drop out of the stream.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerStatsStreamTests {
    @Test func streamsATablePerIntervalUntilInterrupted() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let name = "\(t.prefix)-st"
            #expect(try t.cli("run", "-d", "--name", name, "busybox", "sleep", "1000").status == 0)
            // timeout(1) sends SIGINT after 2.5 s and reports berth's own status.
            let r = try runProcess(URL(fileURLWithPath: "/usr/bin/timeout"),
                                   ["--preserve-status", "-s", "INT", "2.5", Repository.berthExecutable.path, "stats", name],
                                   environment: t.environment, timeout: 30)
            #expect(r.status == 130, "\(r.status) \(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            let headers = lines.filter { $0.hasPrefix("CONTAINER ID   NAME") }
            #expect(headers.count >= 2, "\(r.stdout)")
            // Not a terminal: no clear-screen escapes, and every header has its row.
            #expect(!r.stdout.contains("\u{1b}"))
            #expect(lines.filter { $0.contains(name) }.count == headers.count, "\(r.stdout)")
            #expect(try t.cli("rm", "-f", name).status == 0)
        }
    }

    @Test func jsonStreamDropsRemovedContainersAndStopsOnSIGTERM() async throws {
        try await withTestRoot { t in
            try ContainerLifecycleTests.prepare(t)
            let kept = "\(t.prefix)-kept", gone = "\(t.prefix)-gone"
            for n in [kept, gone] {
                #expect(try t.cli("run", "-d", "--name", n, "busybox", "sleep", "1000").status == 0)
            }
            let berth = Repository.berthExecutable.path
            let script = """
                "$0" stats --format json \(kept) \(gone) & p=$!
                sleep 1.3; "$0" rm -f \(gone) >/dev/null; sleep 2
                kill -TERM $p; wait $p
                """
            let r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script, berth], environment: t.environment, timeout: 30)
            #expect(r.status == 143, "\(r.status) \(r.stderr)")
            let names = try r.stdout.split(separator: "\n").map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return try #require(object?["Name"] as? String)
            }
            #expect(names.prefix(2) == [kept, gone][...], "\(r.stdout)")
            // Frames list kept then gone: lines after gone's last one are frames without it.
            let lastGone = try #require(names.lastIndex(of: gone))
            let after = names[(lastGone + 1)...]
            #expect(!after.isEmpty && after.allSatisfy { $0 == kept }, "\(r.stdout)")
            #expect(try t.cli("rm", "-f", kept).status == 0)
        }
    }
}
