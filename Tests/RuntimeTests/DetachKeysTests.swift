import Runtime
import Testing

/// `--detach-keys` parsing and the held-back matching on typed input.
@Suite struct DetachKeysTests {
    struct Spec: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: String
        var sequence: [UInt8]?
        var testDescription: String { name }
    }

    @Test(arguments: [
        Spec(name: "Docker's default", spec: "ctrl-p,ctrl-q", sequence: [0x10, 0x11]),
        Spec(name: "plain characters and ctrl-@ / ctrl-_", spec: "a,ctrl-@,ctrl-_", sequence: [0x61, 0x00, 0x1f]),
        Spec(name: "upper-case CTRL", spec: "CTRL-A", sequence: [0x01]),
        Spec(name: "empty", spec: "", sequence: nil),
        Spec(name: "empty key between commas", spec: "ctrl-p,,ctrl-q", sequence: nil),
        Spec(name: "ctrl of a digit", spec: "ctrl-1", sequence: nil),
        Spec(name: "a word", spec: "ctrl-p,quit", sequence: nil),
    ])
    func parses(_ c: Spec) {
        #expect(DetachKeys(spec: c.spec)?.sequence == c.sequence)
    }

    struct Typing: CustomTestStringConvertible, Sendable {
        var name: String
        var chunks: [[UInt8]]
        var forwarded: [UInt8]
        var detached: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        Typing(name: "ordinary input passes", chunks: [Array("echo hi\r".utf8)], forwarded: Array("echo hi\r".utf8), detached: false),
        Typing(name: "the sequence detaches and is never sent", chunks: [[0x61, 0x10, 0x11, 0x62]], forwarded: [0x61], detached: true),
        Typing(name: "split across reads", chunks: [[0x61, 0x10], [0x11]], forwarded: [0x61], detached: true),
        Typing(name: "a broken prefix is sent late, in order", chunks: [[0x10], [0x62]], forwarded: [0x10, 0x62], detached: false),
        Typing(name: "ctrl-p twice then ctrl-q", chunks: [[0x10, 0x10, 0x11]], forwarded: [0x10], detached: true),
        Typing(name: "a held prefix at the end is not sent yet", chunks: [[0x61, 0x10]], forwarded: [0x61], detached: false),
    ])
    func feeds(_ c: Typing) {
        var keys = DetachKeys.standard
        var forwarded: [UInt8] = []
        var detached = false
        for chunk in c.chunks where !detached {
            let r = keys.feed(chunk)
            forwarded += r.forward
            detached = r.detach
        }
        #expect(forwarded == c.forwarded)
        #expect(detached == c.detached)
    }
}
