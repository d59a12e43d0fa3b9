import BerthTestSupport
import DNSResponder
import Foundation
import IPAddress
import Networking
import Testing

/// The DNS helper over TCP (RFC 7766) and UDP truncation: 40 replicas of
/// one service do not fit a 512-byte UDP answer, so it carries TC and the
/// whole answer comes over TCP on the same address; other names are
/// forwarded over TCP too.
@Suite(.serialized, .requiresRoot, .requiresTool("/usr/sbin/nft"))
struct DNSTCPSerialTests {
    @Test func fortyReplicasTruncateOverUDPAndArriveWholeOverTCP() async throws {
        try await withTestRoot { t in
            let udpUpstream = try UDPProbe.FakeUpstream(answer: [10, 9, 9, 9])
            t.defer_("stop fake upstream") { udpUpstream.stop() }
            let tcpUpstream = try TCPDNS.FakeUpstream(port: udpUpstream.port, answer: [10, 9, 9, 8])
            t.defer_("stop fake TCP upstream") { tcpUpstream.stop() }
            let store = t.networkStore(upstreams: ["127.0.0.1:\(udpUpstream.port)"])
            let net = try store.create(name: "\(t.prefix)_default")
            t.defer_("remove network") { try store.remove(net.id) }

            // 40 replicas: pinned namespaces (no processes needed), attached like containers.
            let attacher = NetworkAttacher(store: store)
            var addresses: Set<[UInt8]> = []
            for i in 1...40 {
                let path = t.directory.appendingPathComponent("netns/r\(i)").path
                try NetworkNamespaceFile.create(at: path)
                t.defer_("unpin r\(i)") { try NetworkNamespaceFile.remove(at: path) }
                let a = try attacher.attach(AttachRequest(containerID: "r\(i)", containerName: "\(t.prefix)-replica-\(i)",
                                                          network: net.name, namespace: .path(path), aliases: ["replica"]))
                t.defer_("detach r\(i)") { try attacher.detach(containerID: "r\(i)", network: net.name) }
                addresses.insert(a.ipv4.bytes)
            }
            let server = net.plan.gateway.description

            // UDP without EDNS: at most 512 bytes, TC set, only part of the answer.
            let udp = try #require(try TCPDNS.udpQuery("replica", server: server))
            #expect(udp.count <= 512)
            let truncated = try DNSMessage.decode(udp)
            #expect(truncated.truncated && truncated.answers.count < 40 && !truncated.answers.isEmpty)

            // TCP on the same address: all 40, and two pipelined queries on one connection.
            let replies = try TCPDNS.tcpQueries(["replica", "\(t.prefix)-replica-7"], server: server)
            #expect(replies.count == 2)
            let whole = try DNSMessage.decode(try #require(replies.first))
            #expect(!whole.truncated && whole.answers.count == 40)
            #expect(Set(whole.answers.map(\.data)) == addresses)
            let one = try DNSMessage.decode(try #require(replies.last))
            #expect(one.answers.count == 1)

            // Other names go to the upstream, over TCP (its TCP answer differs from its UDP one).
            let forwarded = try TCPDNS.tcpQueries(["outside.example"], server: server)
            let outside = try DNSMessage.decode(try #require(forwarded.first))
            #expect(outside.answers.map(\.data) == [[10, 9, 9, 8]])
        }
    }
}

/// Raw DNS over TCP and UDP from the host (loopback and berth bridges only).
enum TCPDNS {
    static func address(_ ip: String, _ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &addr.sin_addr)
        return addr
    }

    /// One UDP query without EDNS; the raw reply.
    static func udpQuery(_ name: String, server: String) throws -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = address(server, 53)
        let q = DNSMessage.query(id: 0x4242, name: name, type: DNSMessage.typeA).encode()
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, q, q.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == q.count else { return nil }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 2000) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    /// Sends every query on one TCP connection, then reads the replies
    /// (raw messages, in order); stops after 3 s.
    static func tcpQueries(_ names: [String], server: String) throws -> [[UInt8]] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = address(server, 53)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
        var out: [UInt8] = []
        for (i, name) in names.enumerated() {
            out += DNSTransport.frame(DNSMessage.query(id: UInt16(100 + i), name: name, type: DNSMessage.typeA).encode()) ?? []
        }
        guard write(fd, out, out.count) == out.count else { throw POSIXError(.EIO) }
        var input: [UInt8] = []
        var replies: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(3)
        var buf = [UInt8](repeating: 0, count: 65536)
        while replies.count < names.count && Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) == 1 else { continue }
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            input += buf[0..<n]
            replies += DNSTransport.unframe(&input)
        }
        return replies
    }

    /// A DNS server on 127.0.0.1:`port`/tcp answering every A query with
    /// `address`, one connection at a time, on its own thread until `stop()`.
    final class FakeUpstream: @unchecked Sendable {
        let fd: Int32
        let address: [UInt8]
        private var stopped = false
        private let lock = NSLock()

        init(port: UInt16, answer address: [UInt8]) throws {
            self.address = address
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var addr = TCPDNS.address("127.0.0.1", port)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
            Thread { [self] in serve() }.start()
        }

        private func serve() {
            var buf = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ stopped }) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) == 1 else { continue }
                let c = accept(fd, nil, nil)
                guard c >= 0 else { continue }
                defer { close(c) }
                var input: [UInt8] = []
                var cfd = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
                while poll(&cfd, 1, 1000) == 1 {
                    let n = read(c, &buf, buf.count)
                    if n <= 0 { break }
                    input += buf[0..<n]
                    guard let message = DNSTransport.unframe(&input).first,
                          let q = try? DNSMessage.decode(message), let question = q.questions.first else { continue }
                    let r = DNSMessage(id: q.id, isResponse: true, recursionDesired: q.recursionDesired,
                                       recursionAvailable: true, questions: q.questions,
                                       answers: [.init(name: question.name, type: DNSMessage.typeA, ttl: 30, data: address)])
                    let framed = DNSTransport.frame(r.encode()) ?? []
                    _ = write(c, framed, framed.count)
                    break
                }
            }
        }

        func stop() {
            lock.withLock { stopped = true }
            usleep(150_000)
            close(fd)
        }
    }
}
