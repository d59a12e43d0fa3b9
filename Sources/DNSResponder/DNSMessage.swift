// DNSResponder owns the DNS service of a berth network, as run by the
// `berth-dns` helper: message encoding (DNSMessage), UDP/TCP transport rules
// (DNSTransport) and the single-threaded responder (DNSServer) that answers
// from a records file and forwards other names upstream. It never imports
// Foundation (the helper starts once per network and stays resident) and
// never writes files: berth writes the records, the helper only reads them.

import IPAddress

/// A DNS message (RFC 1035) reduced to what berth's responder needs:
/// questions, A/AAAA answers, response codes, and the id for forwarding.
public struct DNSMessage: Hashable, Sendable {
    public static let typeA: UInt16 = 1
    public static let typeAAAA: UInt16 = 28
    public static let classIN: UInt16 = 1
    /// EDNS(0) pseudo-record (RFC 6891); its class is the sender's UDP payload size.
    public static let typeOPT: UInt16 = 41

    public enum ResponseCode: UInt8, Sendable {
        case noError = 0, formatError = 1, serverFailure = 2, nameError = 3, notImplemented = 4, refused = 5
    }

    public struct Question: Hashable, Sendable {
        public var name: String
        public var type: UInt16
        public var klass: UInt16
        public init(name: String, type: UInt16, klass: UInt16 = DNSMessage.classIN) {
            self.name = name
            self.type = type
            self.klass = klass
        }
    }

    public struct Record: Hashable, Sendable {
        public var name: String
        public var type: UInt16
        public var klass: UInt16
        public var ttl: UInt32
        public var data: [UInt8]
        public init(name: String, type: UInt16, klass: UInt16 = DNSMessage.classIN, ttl: UInt32, data: [UInt8]) {
            self.name = name
            self.type = type
            self.klass = klass
            self.ttl = ttl
            self.data = data
        }
    }

    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var responseCode: UInt8
    public var questions: [Question]
    public var answers: [Record]
    /// The additional section (where an EDNS OPT record travels); the
    /// authority section is skipped when decoding.
    public var additionals: [Record]

    public init(id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, authoritative: Bool = false,
                truncated: Bool = false, recursionDesired: Bool = true, recursionAvailable: Bool = false,
                responseCode: UInt8 = 0, questions: [Question] = [], answers: [Record] = [],
                additionals: [Record] = []) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.additionals = additionals
    }

    /// The UDP payload size the sender's EDNS OPT record advertises; nil
    /// without EDNS.
    public var ednsPayloadSize: UInt16? {
        additionals.first { $0.type == DNSMessage.typeOPT }.map(\.klass)
    }

    /// An OPT record advertising `payloadSize` (version 0, no flags, no options).
    public static func optRecord(payloadSize: UInt16) -> Record {
        Record(name: "", type: typeOPT, klass: payloadSize, ttl: 0, data: [])
    }

    /// A query for `name` of `type`.
    public static func query(id: UInt16, name: String, type: UInt16) -> DNSMessage {
        DNSMessage(id: id, questions: [Question(name: name, type: type)])
    }

    /// The wire form (no name compression; berth's answers are small).
    public func encode() -> [UInt8] {
        var b: [UInt8] = []
        func u16(_ v: UInt16) { b.append(UInt8(v >> 8)); b.append(UInt8(v & 0xff)) }
        func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xffff)) }
        func name(_ n: String) {
            for label in n.split(separator: ".") {
                let bytes = Array(label.utf8.prefix(63))
                b.append(UInt8(bytes.count))
                b += bytes
            }
            b.append(0)
        }
        u16(id)
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0xf) << 11
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        flags |= UInt16(responseCode & 0xf)
        u16(flags)
        u16(UInt16(questions.count)); u16(UInt16(answers.count)); u16(0); u16(UInt16(additionals.count))
        for q in questions { name(q.name); u16(q.type); u16(q.klass) }
        for r in answers + additionals {
            name(r.name); u16(r.type); u16(r.klass); u32(r.ttl)
            u16(UInt16(r.data.count)); b += r.data
        }
        return b
    }

    public enum DecodeError: Error, Hashable, Sendable {
        case truncated, badLabel, pointerLoop
    }

    /// Parses questions and answers; authority and additional sections are
    /// skipped (their counts are not kept).
    public static func decode(_ bytes: [UInt8]) throws -> DNSMessage {
        var p = 0
        func u16() throws -> UInt16 {
            guard p + 2 <= bytes.count else { throw DecodeError.truncated }
            defer { p += 2 }
            return UInt16(bytes[p]) << 8 | UInt16(bytes[p + 1])
        }
        func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }
        func name() throws -> String {
            var labels: [String] = []
            var pos = p
            var jumped = false
            var jumps = 0
            while true {
                guard pos < bytes.count else { throw DecodeError.truncated }
                let len = Int(bytes[pos])
                if len & 0xc0 == 0xc0 {
                    guard pos + 1 < bytes.count else { throw DecodeError.truncated }
                    let target = (len & 0x3f) << 8 | Int(bytes[pos + 1])
                    if !jumped { p = pos + 2 }
                    jumped = true
                    jumps += 1
                    guard jumps < 32, target < bytes.count else { throw DecodeError.pointerLoop }
                    pos = target
                    continue
                }
                guard len & 0xc0 == 0 else { throw DecodeError.badLabel }
                if len == 0 {
                    if !jumped { p = pos + 1 }
                    break
                }
                guard pos + 1 + len <= bytes.count else { throw DecodeError.truncated }
                labels.append(String(decoding: bytes[(pos + 1)..<(pos + 1 + len)], as: UTF8.self))
                pos += 1 + len
            }
            return labels.joined(separator: ".")
        }
        let id = try u16()
        let flags = try u16()
        let qd = try u16(), an = try u16()
        let ns = try u16(), ar = try u16()
        var m = DNSMessage(id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8(flags >> 11 & 0xf),
                           authoritative: flags & 0x0400 != 0, truncated: flags & 0x0200 != 0,
                           recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
                           responseCode: UInt8(flags & 0xf))
        for _ in 0..<qd {
            let n = try name()
            m.questions.append(Question(name: n, type: try u16(), klass: try u16()))
        }
        func record() throws -> Record {
            let n = try name()
            let type = try u16(), klass = try u16(), ttl = try u32()
            let len = Int(try u16())
            guard p + len <= bytes.count else { throw DecodeError.truncated }
            defer { p += len }
            return Record(name: n, type: type, klass: klass, ttl: ttl, data: Array(bytes[p..<(p + len)]))
        }
        for _ in 0..<an { m.answers.append(try record()) }
        for _ in 0..<ns { _ = try record() }
        for _ in 0..<ar { m.additionals.append(try record()) }
        return m
    }
}

/// The names a DNS helper answers, loaded from the records file berth writes:
/// `upstream <ip>[:port]` lines and `<name> <ip>` lines (IPv4 or IPv6).
public struct DNSRecords: Hashable, Sendable {
    public var upstreams: [String]
    /// Lowercased name → addresses in file order.
    public var v4: [String: [IPv4Address]]
    public var v6: [String: [IPv6Address]]

    public init(upstreams: [String] = [], v4: [String: [IPv4Address]] = [:], v6: [String: [IPv6Address]] = [:]) {
        self.upstreams = upstreams
        self.v4 = v4
        self.v6 = v6
    }

    public static func parse(_ text: String) -> DNSRecords {
        var r = DNSRecords()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, !f[0].hasPrefix("#") else { continue }
            if f[0] == "upstream" { r.upstreams.append(String(f[1])); continue }
            let name = DNSRecords.normalize(String(f[0]))
            if let a = IPv4Address(f[1]) {
                r.v4[name, default: []].append(a)
            } else if let a = IPv6Address(f[1]) {
                r.v6[name, default: []].append(a)
            }
        }
        return r
    }

    /// The file text for `entries` (name, address) and upstream servers.
    public static func render(upstreams: [String], entries: [(name: String, address: String)]) -> String {
        var out = "# berth DNS records; rewritten atomically by berth\n"
        for u in upstreams { out += "upstream \(u)\n" }
        for e in entries { out += "\(normalize(e.name)) \(e.address)\n" }
        return out
    }

    static func normalize(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }

    /// Whether berth knows `name` at all (then it answers, never forwards).
    public func knows(_ name: String) -> Bool {
        let n = DNSRecords.normalize(name)
        return v4[n] != nil || v6[n] != nil
    }

    /// The answer for a query when the name is berth's, rotated by `turn` so
    /// replicas are returned round-robin; nil when the query must be forwarded.
    public func answer(_ query: DNSMessage, turn: Int = 0) -> DNSMessage? {
        guard let q = query.questions.first, query.questions.count == 1, knows(q.name) else { return nil }
        let n = DNSRecords.normalize(q.name)
        var reply = DNSMessage(id: query.id, isResponse: true, opcode: query.opcode, authoritative: true,
                               recursionDesired: query.recursionDesired, recursionAvailable: true,
                               responseCode: DNSMessage.ResponseCode.noError.rawValue, questions: [q])
        func rotated<T>(_ a: [T]) -> [T] {
            guard !a.isEmpty else { return a }
            let k = ((turn % a.count) + a.count) % a.count
            return Array(a[k...] + a[..<k])
        }
        switch q.type {
        case DNSMessage.typeA:
            reply.answers = rotated(v4[n] ?? []).map {
                DNSMessage.Record(name: q.name, type: DNSMessage.typeA, ttl: 0, data: $0.bytes)
            }
        case DNSMessage.typeAAAA:
            reply.answers = rotated(v6[n] ?? []).map {
                DNSMessage.Record(name: q.name, type: DNSMessage.typeAAAA, ttl: 0, data: $0.bytes)
            }
        default:
            break // NOERROR with no answers: the name exists, the type does not.
        }
        return reply
    }

    /// A reply for `query` with just a response code (e.g. SERVFAIL when no
    /// upstream answers, NXDOMAIN when there is no upstream at all).
    public static func failure(_ query: DNSMessage, code: DNSMessage.ResponseCode) -> DNSMessage {
        DNSMessage(id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
                   recursionAvailable: true, responseCode: code.rawValue, questions: query.questions)
    }
}
