import BerthTestSupport
import Diagnostics
import Foundation
import SystemCalls
import Testing

/// `berth stats --no-stream` network and block I/O of a compose service
/// that pings its neighbour and writes with O_DIRECT.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ContainerStatsIOTests {
    /// `major:minor` of the device holding `path` (where the container's layer lives).
    static func device(of path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SystemError.current("stat", path) }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        return "\(major):\(minor)"
    }

    @Test func statsShowNetworkAndBlockIO() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let dir = t.directory.appendingPathComponent("statsproject")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try """
            services:
              talker:
                image: busybox:latest
                command: ["sh", "-c", "trap 'exit 0' TERM; while [ ! -f /tmp/go ]; do sleep 0.05; done; ping -c 3 -i 0.2 -W 1 peer; dd if=/dev/zero of=/direct.bin bs=4096 count=256 oflag=direct; touch /tmp/done; while true; do sleep 0.05; done"]
                depends_on: [peer]
              peer:
                image: busybox:latest
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"]
            """.write(to: dir.appendingPathComponent("compose.yaml"), atomically: true, encoding: .utf8)
            t.defer_("compose down") { _ = try t.compose(["compose", "down", "-t", "1"], in: dir) }
            let up = try t.compose(["compose", "up", "-d"], in: dir)
            #expect(up.status == 0, "\(up.stderr)")
            let name = "\(t.prefix)-talker-1"
            let inspect = try ContainerLifecycleTests.inspect(t, name)
            let id = try #require(inspect["Id"] as? String)

            // Kernel 6.x accounts cgroup v1 blkio bytes only on queues where
            // blk-throttle is active, i.e. once some group has a rule for the
            // device (not even the root group counts otherwise). Give the
            // container an unreachable limit (1 TiB/s) so the kernel counts
            // its I/O; cgroup v2's io.stat always counts.
            let blkio = "/sys/fs/cgroup/blkio/berth-\(id)/blkio.throttle.write_bps_device"
            if Sys.exists(blkio) {
                try "\(try Self.device(of: t.root.path)) 1099511627776\n".write(toFile: blkio, atomically: false, encoding: .utf8)
            }
            #expect(try t.cli("exec", name, "touch", "/tmp/go").status == 0)
            #expect(try ContainerLifecycleTests.waitUntil { try t.cli("exec", name, "test", "-f", "/tmp/done").status == 0 })

            let stats = try t.cli("stats", "--no-stream", "--format", "json", name)
            #expect(stats.status == 0, "\(stats.stderr)")
            let row = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
            let net = (row["NetIO"] as? String ?? "").components(separatedBy: " / ")
            let block = (row["BlockIO"] as? String ?? "").components(separatedBy: " / ")
            #expect(net.count == 2 && net[0] != "0B" && net[1] != "0B", "\(stats.stdout)")
            // 256 direct writes of 4 KiB: at least 1.05MB written.
            #expect(block.count == 2 && (block[1].hasSuffix("MB") || block[1].hasSuffix("GB")), "\(stats.stdout)")
        }
    }
}
