@testable import DNSResponder
import IPAddress
import Testing

@Suite struct DNSMessageTests {
    /// `dig web A` as sent by a stub resolver (id 0x1234, RD set).
    static let queryBytes: [UInt8] = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01,
    ]

    @Test func encodesAndDecodesQuery() throws {
        #expect(DNSMessage.query(id: 0x1234, name: "web", type: DNSMessage.typeA).encode() == Self.queryBytes)
        let q = try DNSMessage.decode(Self.queryBytes)
        #expect(q.id == 0x1234 && !q.isResponse && q.recursionDesired)
        #expect(q.questions == [.init(name: "web", type: DNSMessage.typeA)])
    }

    @Test func answersReplicasRoundRobin() throws {
        let records = DNSRecords.parse("""
            upstream 127.0.0.1:5353
            web 172.18.0.2
            web 172.18.0.3
            Db 172.18.0.4
            db fd00::4
            """)
        #expect(records.upstreams == ["127.0.0.1:5353"])
        let q = try DNSMessage.decode(Self.queryBytes)
        let first = try #require(records.answer(q, turn: 0))
        let second = try #require(records.answer(q, turn: 1))
        #expect(first.answers.map(\.data) == [[172, 18, 0, 2], [172, 18, 0, 3]])
        #expect(second.answers.map(\.data) == [[172, 18, 0, 3], [172, 18, 0, 2]])
        #expect(first.isResponse && first.authoritative && first.responseCode == 0)
        // Round trip through the wire form.
        let decoded = try DNSMessage.decode(first.encode())
        #expect(decoded == first)
        // Case-insensitive, trailing dot, AAAA.
        let aaaa = try #require(records.answer(.query(id: 1, name: "DB.", type: DNSMessage.typeAAAA)))
        #expect(aaaa.answers.count == 1 && aaaa.answers[0].data.count == 16)
        // Known name, type without records: NOERROR, empty (never forwarded).
        let webAAAA = try #require(records.answer(.query(id: 2, name: "web", type: DNSMessage.typeAAAA)))
        #expect(webAAAA.answers.isEmpty && webAAAA.responseCode == 0)
        // Unknown names are forwarded.
        #expect(records.answer(.query(id: 3, name: "example.org", type: DNSMessage.typeA)) == nil)
    }

    @Test func nxdomainReply() throws {
        let q = DNSMessage.query(id: 9, name: "nope", type: DNSMessage.typeA)
        let r = try DNSMessage.decode(DNSRecords.failure(q, code: .nameError).encode())
        #expect(r.responseCode == 3 && r.isResponse && r.id == 9 && r.questions == q.questions)
    }

    @Test func decodesCompressedAnswer() throws {
        // Response for "a.b" A with the answer name as a pointer to offset 12.
        let bytes: [UInt8] = [
            0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
            1, 0x61, 1, 0x62, 0, 0, 1, 0, 1,
            0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
        ]
        let m = try DNSMessage.decode(bytes)
        #expect(m.answers == [.init(name: "a.b", type: 1, ttl: 60, data: [10, 0, 0, 1])])
    }

    @Test func rejectsTruncatedAndLoops() {
        #expect(throws: DNSMessage.DecodeError.truncated) { try DNSMessage.decode(Array(Self.queryBytes.prefix(15))) }
        let loop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        #expect(throws: DNSMessage.DecodeError.pointerLoop) { try DNSMessage.decode(loop) }
    }
}
