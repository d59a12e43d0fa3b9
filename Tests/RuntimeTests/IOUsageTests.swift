@testable import Runtime
import Testing

/// `stats` network and block I/O parsing, on file contents as the kernel writes them.
@Suite struct IOUsageTests {
    struct Sample: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: IOUsage?
        var testDescription: String { name }
    }

    static let netDevHeader = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed

        """

    @Test(arguments: [
        Sample(name: "loopback is left out", text: netDevHeader + """
                lo:    5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0
              eth0:    1296      16    0    0    0     0          0         0      656       8    0    0    0     0       0          0

            """, expected: IOUsage(read: 1296, write: 656)),
        Sample(name: "several interfaces are summed", text: netDevHeader + """
                lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
              eth0:1234567890  900000    0    0    0     0          0         0 987654321  700000    0    0    0     0       0          0
              eth1:     100       1    0    0    0     0          0         0      200       2    0    0    0     0       0          0

            """, expected: IOUsage(read: 1_234_567_990, write: 987_654_521)),
        Sample(name: "only loopback is zero, not unknown", text: netDevHeader + """
                lo:     300       3    0    0    0     0          0         0      300       3    0    0    0     0       0          0

            """, expected: IOUsage()),
        Sample(name: "no interface line", text: netDevHeader, expected: nil),
    ])
    func netDev(_ c: Sample) {
        #expect(IOUsage.netDev(c.text) == c.expected)
    }

    @Test(arguments: [
        Sample(name: "v1 throttle, two devices", text: """
            254:0 Read 4096
            254:0 Write 1048576
            254:0 Sync 1048576
            254:0 Async 4096
            254:0 Discard 0
            254:0 Total 1052672
            8:0 Read 512
            8:0 Write 0
            8:0 Total 512
            Total 1053184

            """, expected: IOUsage(read: 4608, write: 1_048_576)),
        Sample(name: "v1 with no device line", text: "Total 0\n", expected: nil),
        Sample(name: "v1 device lines with zeros", text: "254:0 Read 0\n254:0 Write 0\n254:0 Total 0\nTotal 0\n",
               expected: IOUsage()),
    ])
    func blkioServiceBytes(_ c: Sample) {
        #expect(IOUsage.blkioServiceBytes(c.text) == c.expected)
    }

    @Test(arguments: [
        Sample(name: "v2 two devices", text: """
            8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
            254:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0

            """, expected: IOUsage(read: 1_459_300, write: 314_773_504)),
        Sample(name: "v2 empty", text: "", expected: IOUsage()),
    ])
    func ioStat(_ c: Sample) {
        #expect(IOUsage.ioStat(c.text) == c.expected)
    }

    /// The first blkio file accounting anything wins: on this kind of
    /// machine BFQ lists no device while the throttle layer counts.
    @Test func blkioFallsBackToTheThrottleCounters() {
        let files = [
            "/cg/blkio.bfq.io_service_bytes_recursive": "Total 0\n",
            "/cg/blkio.throttle.io_service_bytes_recursive": "254:0 Read 0\n254:0 Write 8192\nTotal 8192\n",
            "/cg/blkio.throttle.io_service_bytes": "254:0 Read 1\n254:0 Write 1\nTotal 2\n",
        ]
        #expect(IOUsage.blkio(directory: "/cg", read: { files[$0] }) == IOUsage(read: 0, write: 8192))
        let idle = ["/cg/blkio.bfq.io_service_bytes": "Total 0\n"]
        #expect(IOUsage.blkio(directory: "/cg", read: { idle[$0] }) == IOUsage())
        #expect(IOUsage.blkio(directory: "/cg", read: { _ in nil }) == nil)
    }
}
