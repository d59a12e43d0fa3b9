@testable import BerthCLI
import Testing

@Suite struct ImageFormattingTests {
    struct Size: CustomTestStringConvertible, Sendable {
        var bytes: Int64
        var text: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        Size(bytes: 0, text: "0B"), Size(bytes: 999, text: "999B"), Size(bytes: 1000, text: "1kB"),
        Size(bytes: 4_261_000, text: "4.26MB"), Size(bytes: 77_800_000, text: "77.8MB"),
        Size(bytes: 1_234_567_890, text: "1.23GB"),
    ])
    func humanSizesLikeDocker(_ c: Size) {
        #expect(humanSize(c.bytes) == c.text)
    }

    @Test func parsesRFC3339WithFractionsAndOffsets() {
        #expect(parseRFC3339("1970-01-01T00:00:00Z") == 0)
        #expect(parseRFC3339("2024-01-02T03:04:05.123456789Z") == 1_704_164_645)
        #expect(parseRFC3339("2024-01-02T04:04:05+01:00") == 1_704_164_645)
        #expect(parseRFC3339("yesterday") == nil)
        #expect(humanSince(nil) == "N/A")
        #expect(humanSince("2000-01-01T00:00:00Z").hasSuffix("years ago"))
    }

    @Test func tablesPadLikeDockersTabwriter() {
        let out = renderTable(["REPOSITORY", "TAG"], [["busybox", "latest"], ["a", "b"]])
        #expect(out == "REPOSITORY   TAG\nbusybox      latest\na            b\n")
    }
}
