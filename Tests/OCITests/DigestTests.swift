import OCI
import Testing

@Suite struct DigestTests {
    @Test func hashesKnownVectors() {
        #expect(Digest.sha256(of: Array("".utf8)).description
                == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256(of: Array("abc".utf8)).encoded
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamedEqualsWhole() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = DigestHasher()
        h.update(Array(data[0..<777]))
        h.update(Array(data[777...]))
        #expect(h.finalize() == Digest.sha256(of: data))
        #expect(h.count == 100_000)
    }

    struct BadDigest: CustomTestStringConvertible, Sendable {
        var text: String
        var reason: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        BadDigest(text: "abc", reason: "missing algorithm"),
        BadDigest(text: "sha256:ABC" + String(repeating: "0", count: 61), reason: "lowercase hex"),
        BadDigest(text: "sha256:" + String(repeating: "0", count: 63), reason: "64"),
        BadDigest(text: "sha512:" + String(repeating: "0", count: 128), reason: "unsupported"),
    ])
    func rejectsMalformed(_ c: BadDigest) {
        #expect(throws: OCIError.self) { try Digest(parsing: c.text) }
        do { _ = try Digest(parsing: c.text) } catch { #expect(error.description.contains(c.reason)) }
    }

    @Test func chainIDsFollowTheSpec() throws {
        let a = Digest.sha256(of: Array("a".utf8)), b = Digest.sha256(of: Array("b".utf8))
        let chain = Digest.chainIDs(diffIDs: [a, b])
        #expect(chain[0] == a)
        #expect(chain[1] == Digest.sha256(of: Array("\(a) \(b)".utf8)))
    }
}
