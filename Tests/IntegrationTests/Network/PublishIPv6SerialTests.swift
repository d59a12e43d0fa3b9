import BerthTestSupport
import Foundation
import Networking
import Testing

/// Published ports on IPv6: a network with IPv6 publishes a port without a
/// host address on both families (127.0.0.1, ::1, the host's addresses);
/// `[::1]:P:C` only there; conflicts are found on IPv6 sockets too; an
/// IPv4-only network refuses IPv6 host addresses (kernel NAT cannot turn
/// IPv6 into IPv4).
@Suite(.serialized, .requiresRoot, .requiresTool("/bin/busybox"), .requiresTool("/usr/sbin/nft"))
struct PublishIPv6SerialTests {
    let net4 = NetworkSerialTests()

    func fetch(_ ip: String, _ port: UInt16) throws -> String? {
        try NetworkSerialTests.httpGet([], ip, port)
    }

    @Test func portsOnBothFamiliesAndOnlyOnIPv6Loopback() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let net = try net4.network(t, store, "\(t.prefix)_v6", NetworkOptions(ipam: IPAMRequest(enableIPv6: true)))
            let web = try NetnsContainer(t)
            let a = try net4.attach(t, store, web, id: "web6", name: "\(t.prefix)-web-1", network: net.name)
            #expect(a.ipv6 != nil)
            try net4.serveHTTP(t, web, text: "dual")
            try net4.serveHTTP(t, web, text: "six only", port: 81)

            let publisher = PortPublisher(store: store)
            let p = try HostListener.freePort()
            let bindings = try publisher.preflight([try PortRequest.parse("\(p):80"), try PortRequest.parse("[::1]::81")],
                                                   ipv6: true)
            #expect(bindings.map(\.hostIP) == [.anyIPv4, .anyIPv6, .loopbackIPv6])
            #expect(bindings[0].hostPort == p && bindings[1].hostPort == p)
            try publisher.publish(containerID: "web6", network: net.name, bindings: bindings)
            t.defer_("unpublish") { try publisher.unpublish(containerID: "web6") }

            #expect(try fetch("127.0.0.1", p) == "dual")
            #expect(try fetch("::1", p) == "dual")
            let gateway6 = try #require(net.plan.gateway6)
            #expect(try fetch(gateway6.description, p) == "dual")
            #expect(try fetch("::1", bindings[2].hostPort) == "six only")
            #expect(try fetch("127.0.0.1", bindings[2].hostPort) == nil)

            // A host socket on [::1]:q takes q from an IPv6 binding, not from an IPv4-only one.
            let q = try HostListener.freePort()
            let listener = try HostListener6(port: q)
            #expect(throws: NetworkError.self) { try publisher.preflight([try PortRequest.parse("\(q):80")], ipv6: true) }
            #expect(throws: NetworkError.self) { try publisher.preflight([try PortRequest.parse("[::1]:\(q):80")], ipv6: true) }
            #expect(try publisher.preflight([try PortRequest.parse("127.0.0.1:\(q):80")], ipv6: true).count == 1)
            _ = listener
            // Two berth bindings on the same IPv6 port.
            #expect(throws: NetworkError("Bind for [::1]:\(p) failed: port is already allocated (berth publishes [::]:\(p)->80/tcp)")) {
                try publisher.preflight([try PortRequest.parse("[::1]:\(p):80")], ipv6: true)
            }

            // An IPv4-only network: IPv6 host addresses are refused, defaults stay IPv4.
            #expect(throws: NetworkError.self) { try publisher.preflight([try PortRequest.parse("[::1]::80")], ipv6: false) }
            #expect(try publisher.preflight([try PortRequest.parse("80")], ipv6: false).map(\.hostIP) == [.anyIPv4])

            try publisher.unpublish(containerID: "web6")
            #expect(try fetch("::1", p) == nil)
            #expect(!(try Host.ruleset()).contains("ip6 daddr ::1"))
        }
    }
}

/// The same through compose: `enable_ipv6` on the project network, a
/// default port and a `[::1]` one, `compose port`, and `down`.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposePublishIPv6SerialTests {
    @Test func composePortsOnIPv6() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let p = try HostListener.freePort(), q = try HostListener.freePort()
            try Data("""
                services:
                  web:
                    image: busybox:latest
                    command: ["sh", "-c", "mkdir -p /www && echo compose-six > /www/index.html && httpd -p 8081 -h /www && exec httpd -f -p 8080 -h /www"]
                    # One loopback host port per container port and family (see RuleSet): 8081 for ::1 only.
                    ports: ["\(p):8080", "[::1]:\(q):8081"]
                  four:
                    image: busybox:latest
                    command: ["sleep", "60"]
                    networks: [plain]
                    ports: ["[::1]::80"]
                    profiles: [broken]
                networks:
                  default: {enable_ipv6: true}
                  plain: {}
                """.utf8).write(to: t.directory.appendingPathComponent("compose.yaml"))
            t.defer_("down") { _ = try t.compose(["down", "-t", "0"], in: t.directory) }
            let up = try t.compose(["up", "-d"], in: t.directory)
            #expect(up.status == 0, "\(up.stderr)")
            var served: String?
            for _ in 0..<50 {
                served = try NetworkSerialTests.httpGet([], "::1", p)
                if served != nil { break }
                usleep(100_000)
            }
            #expect(served == "compose-six\n")
            #expect(try NetworkSerialTests.httpGet([], "127.0.0.1", p) == "compose-six\n")
            #expect(try NetworkSerialTests.httpGet([], "::1", q) == "compose-six\n")
            #expect(try NetworkSerialTests.httpGet([], "127.0.0.1", q) == nil)
            let ps = try t.compose(["compose", "ps", "web"], in: t.directory)
            #expect(ps.stdout.contains("0.0.0.0:\(p)->8080/tcp") && ps.stdout.contains("[::]:\(p)->8080/tcp")
                    && ps.stdout.contains("[::1]:\(q)->8081/tcp"), "\(ps.stdout)")

            // An IPv6 host address on an IPv4-only network is refused with a clear error.
            let broken = try t.compose(["--profile", "broken", "up", "-d", "four"], in: t.directory)
            #expect(broken.status != 0 && broken.stderr.contains("cannot publish on IPv6 address ::1: the network has no IPv6"),
                    "\(broken.stderr)")

            let down = try t.compose(["--profile", "broken", "down", "-t", "0"], in: t.directory)
            #expect(down.status == 0, "\(down.stderr)")
            #expect(try NetworkSerialTests.httpGet([], "::1", p) == nil)
            #expect(!(try Host.ruleset()).contains("::1"))
        }
    }
}

/// A TCP listener on [::1]:port (IPv6 only).
final class HostListener6 {
    let fd: Int32
    init(port: UInt16) throws {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_port = port.bigEndian
        inet_pton(AF_INET6, "::1", &addr.sin6_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard rc == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    }
    deinit { close(fd) }
}
