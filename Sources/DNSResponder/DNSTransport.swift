/// How DNS messages travel: the size limit of a UDP reply (512 bytes
/// without EDNS, RFC 1035; the client's advertised size with EDNS, RFC
/// 6891), truncation with the TC bit so the client retries over TCP, and
/// TCP's two-byte length framing (RFC 7766). Pure.
public enum DNSTransport {
    /// The classic UDP limit for a client without EDNS.
    public static let classicUDPLimit = 512
    /// The payload size berth advertises and honours at most over UDP
    /// (the DNS flag day 2020 value: no IP fragmentation on common paths).
    public static let maxUDPPayload: UInt16 = 1232
    /// The largest message TCP framing can carry.
    public static let maxTCPMessage = 65535

    /// The largest UDP reply the sender of `query` accepts.
    public static func udpLimit(for query: DNSMessage) -> Int {
        guard let size = query.ednsPayloadSize else { return classicUDPLimit }
        return max(classicUDPLimit, Int(min(size, maxUDPPayload)))
    }

    /// The wire form of `reply` for the sender of `query`, at most `limit`
    /// bytes: an OPT record when the query had one, and when the answers do
    /// not all fit, the TC bit with as many whole answers as fit (a client
    /// that cannot use TCP still gets some; one that can asks again over TCP).
    public static func reply(_ reply: DNSMessage, for query: DNSMessage, limit: Int) -> [UInt8] {
        var m = reply
        m.additionals = query.ednsPayloadSize == nil ? [] : [DNSMessage.optRecord(payloadSize: maxUDPPayload)]
        var bytes = m.encode()
        guard bytes.count > limit else { return bytes }
        m.truncated = true
        // Answers are of similar size: drop from the end until the message fits.
        while !m.answers.isEmpty && bytes.count > limit {
            m.answers.removeLast()
            bytes = m.encode()
        }
        return bytes
    }

    /// `message` with its two-byte big-endian length in front (TCP); nil
    /// for a message TCP cannot carry (callers build replies with
    /// `reply(_:for:limit: maxTCPMessage)`, so this does not happen).
    public static func frame(_ message: [UInt8]) -> [UInt8]? {
        guard message.count <= maxTCPMessage else { return nil }
        return [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    }

    /// Removes the complete framed messages at the front of `buffer` and
    /// returns them; a partial message stays in `buffer` for more bytes.
    public static func unframe(_ buffer: inout [UInt8]) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var offset = 0
        while buffer.count - offset >= 2 {
            let length = Int(buffer[offset]) << 8 | Int(buffer[offset + 1])
            guard buffer.count - offset - 2 >= length else { break }
            messages.append(Array(buffer[(offset + 2)..<(offset + 2 + length)]))
            offset += 2 + length
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return messages
    }
}
