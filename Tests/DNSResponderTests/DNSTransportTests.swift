@testable import DNSResponder
import IPAddress
import Testing

/// UDP size limits, truncation with TC, EDNS, and TCP framing (RFC 1035,
/// 6891, 7766).
@Suite struct DNSTransportTests {
    /// 40 replicas of `replica`: 945 bytes of answer, more than 512.
    static let records = DNSRecords.parse((1...40).map { "replica 10.1.0.\($0)" }.joined(separator: "\n"))

    /// `dig replica A` with an OPT record advertising `size` (the bytes a
    /// glibc stub with `options edns0` sends).
    static func ednsQuery(_ size: UInt16) -> [UInt8] {
        [0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
         0x07] + Array("replica".utf8) + [0x00, 0x00, 0x01, 0x00, 0x01,
         0x00, 0x00, 0x29, UInt8(size >> 8), UInt8(size & 0xff), 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var query: [UInt8]
        var limit: Int
        var truncated: Bool
        var answers: Int
        var hasOPT: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "no EDNS: 512 bytes, TC and the answers that fit",
             query: DNSMessage.query(id: 7, name: "replica", type: DNSMessage.typeA).encode(),
             limit: 512, truncated: true, answers: 21, hasOPT: false),
        Case(name: "EDNS 4096: capped at 1232, all 40 fit", query: ednsQuery(4096), limit: 1232,
             truncated: false, answers: 40, hasOPT: true),
        Case(name: "EDNS 256: never below 512", query: ednsQuery(256), limit: 512,
             truncated: true, answers: 20, hasOPT: true),
    ])
    func udpReplies(_ c: Case) throws {
        let q = try DNSMessage.decode(c.query)
        #expect(DNSTransport.udpLimit(for: q) == c.limit)
        let answer = try #require(Self.records.answer(q))
        #expect(answer.answers.count == 40)
        let bytes = DNSTransport.reply(answer, for: q, limit: DNSTransport.udpLimit(for: q))
        #expect(bytes.count <= c.limit)
        let reply = try DNSMessage.decode(bytes)
        #expect(reply.truncated == c.truncated)
        #expect(reply.answers.count == c.answers)
        #expect((reply.ednsPayloadSize == DNSTransport.maxUDPPayload) == c.hasOPT)
        #expect(reply.id == q.id && reply.questions == q.questions)
    }

    @Test func tcpRepliesCarryEverything() throws {
        let q = DNSMessage.query(id: 9, name: "replica", type: DNSMessage.typeA)
        let answer = try #require(Self.records.answer(q))
        let reply = try DNSMessage.decode(DNSTransport.reply(answer, for: q, limit: DNSTransport.maxTCPMessage))
        #expect(!reply.truncated && reply.answers.count == 40)
        #expect(Set(reply.answers.map(\.data)) == Set((1...40).map { [10, 1, 0, UInt8($0)] }))
    }

    @Test func framing() throws {
        let a: [UInt8] = [1, 2, 3], b = [UInt8](repeating: 9, count: 300)
        let framedA = try #require(DNSTransport.frame(a)), framedB = try #require(DNSTransport.frame(b))
        #expect(framedA == [0, 3, 1, 2, 3])
        #expect(framedB.prefix(2) == [1, 44])
        // Two messages and the first byte of a third arrive together.
        var buffer = framedA + framedB + [0]
        #expect(DNSTransport.unframe(&buffer) == [a, b])
        #expect(buffer == [0])
        // The rest of the third arrives in pieces.
        buffer += [2, 7]
        #expect(DNSTransport.unframe(&buffer).isEmpty)
        buffer += [8]
        #expect(DNSTransport.unframe(&buffer) == [[7, 8]])
        #expect(buffer.isEmpty)
        // An empty buffer, a lone length byte: nothing yet.
        var lone: [UInt8] = [0]
        #expect(DNSTransport.unframe(&lone).isEmpty && lone == [0])
        #expect(DNSTransport.frame([UInt8](repeating: 0, count: 65536)) == nil)
    }

    @Test func decodesTheAdditionalSectionPastAnAuthority() throws {
        // One answer, one authority (skipped), one OPT in the additional section.
        var m = DNSMessage(id: 3, isResponse: true, questions: [.init(name: "x", type: DNSMessage.typeA)],
                           answers: [.init(name: "x", type: DNSMessage.typeA, ttl: 5, data: [1, 2, 3, 4])],
                           additionals: [DNSMessage.optRecord(payloadSize: 1400)])
        var bytes = m.encode()
        // Insert an authority record (NS count 1) before the additional one.
        bytes[9] = 1
        let authority: [UInt8] = [0x01, 0x78, 0x00, 0x00, 0x02, 0x00, 0x01, 0, 0, 0, 5, 0x00, 0x01, 0x00]
        let additionalStart = bytes.count - 11
        bytes.insert(contentsOf: authority, at: additionalStart)
        let decoded = try DNSMessage.decode(bytes)
        #expect(decoded.answers == m.answers)
        #expect(decoded.ednsPayloadSize == 1400)
        m.additionals = []
        #expect(try DNSMessage.decode(m.encode()).ednsPayloadSize == nil)
    }
}
