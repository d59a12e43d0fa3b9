import DNSResponder
import Foundation
import IPAddress
import Networking

/// Small UDP clients and servers for network tests (loopback only).
enum UDPProbe {
    /// Sends a DNS query for `name` to ip:port and returns the A records.
    static func queryA(_ name: String, server: String, port: UInt16, timeoutMs: Int32 = 2000) throws -> [String]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, server, &addr.sin_addr)
        let q = DNSMessage.query(id: UInt16.random(in: 1...60000), name: name, type: DNSMessage.typeA).encode()
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, q, q.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == q.count else { return nil }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 2048)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 0, let m = try? DNSMessage.decode(Array(buf[0..<n])) else { return nil }
        return m.answers.filter { $0.type == DNSMessage.typeA && $0.data.count == 4 }.map { $0.data.map(String.init).joined(separator: ".") }
    }

    /// A fake upstream DNS server on 127.0.0.1 answering every A query with
    /// `address`. Runs on its own thread until `stop()`.
    final class FakeUpstream: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        let address: [UInt8]
        private var stopped = false
        private let lock = NSLock()

        init(answer address: [UInt8]) throws {
            self.address = address
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            self.fd = fd
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = UInt32(0x7f000001).bigEndian
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let rc = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                    guard bind(fd, p, len) == 0 else { return -1 }
                    return getsockname(fd, p, &len)
                }
            }
            guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
            port = UInt16(bigEndian: addr.sin_port)
            let t = Thread { [self] in serve() }
            t.start()
        }

        private func serve() {
            var buf = [UInt8](repeating: 0, count: 2048)
            while true {
                if lock.withLock({ stopped }) { return }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) == 1 else { continue }
                var from = sockaddr_in()
                var len = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buf, buf.count, 0, $0, &len) }
                }
                guard n > 0, let q = try? DNSMessage.decode(Array(buf[0..<n])), let question = q.questions.first else { continue }
                var r = DNSMessage(id: q.id, isResponse: true, recursionDesired: q.recursionDesired, recursionAvailable: true,
                                   questions: q.questions)
                if question.type == DNSMessage.typeA {
                    r.answers = [.init(name: question.name, type: DNSMessage.typeA, ttl: 30, data: address)]
                }
                let bytes = r.encode()
                _ = withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, len) }
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

/// A TCP listener on the host (to provoke port conflicts).
final class HostListener {
    let fd: Int32
    init(ip: String, port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    }
    deinit { close(fd) }

    /// A port the kernel considers free right now.
    static func freePort() throws -> UInt16 {
        try HostPorts.ephemeral(.tcp, IPv4Address(127, 0, 0, 1))
    }
}
