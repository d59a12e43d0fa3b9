import Testing
import YAML
@testable import Compose

@Suite struct PortTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var port: Node
        var normalized: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "container only", port: "80", normalized: "[{mode: ingress, target: 80, protocol: tcp}]"),
        Case(name: "number", port: "3000", normalized: "[{mode: ingress, target: 3000, protocol: tcp}]"),
        Case(name: "host:container", port: "8080:80",
             normalized: #"[{mode: ingress, target: 80, published: "8080", protocol: tcp}]"#),
        Case(name: "ip:host:container", port: "127.0.0.1:8080:80",
             normalized: #"[{mode: ingress, host_ip: 127.0.0.1, target: 80, published: "8080", protocol: tcp}]"#),
        Case(name: "ip with empty host port", port: "127.0.0.1::80",
             normalized: "[{mode: ingress, host_ip: 127.0.0.1, target: 80, protocol: tcp}]"),
        Case(name: "ipv6 in brackets", port: "[::1]:8080:80",
             normalized: #"[{mode: ingress, host_ip: ::1, target: 80, published: "8080", protocol: tcp}]"#),
        Case(name: "ipv6 without brackets", port: "fe80::1:8080:80/udp",
             normalized: #"[{mode: ingress, host_ip: fe80::1, target: 80, published: "8080", protocol: udp}]"#),
        Case(name: "udp", port: "53:53/udp",
             normalized: #"[{mode: ingress, target: 53, published: "53", protocol: udp}]"#),
        Case(name: "range to range", port: "8000-8002:9000-9002",
             normalized: #"[{mode: ingress, target: 9000, published: "8000", protocol: tcp}, "# +
                 #"{mode: ingress, target: 9001, published: "8001", protocol: tcp}, "# +
                 #"{mode: ingress, target: 9002, published: "8002", protocol: tcp}]"#),
        Case(name: "container range", port: "3000-3001",
             normalized: "[{mode: ingress, target: 3000, protocol: tcp}, {mode: ingress, target: 3001, protocol: tcp}]"),
        Case(name: "host range to one port", port: "9090-9091:8080",
             normalized: #"[{mode: ingress, target: 8080, published: 9090-9091, protocol: tcp}]"#),
        Case(name: "long form gets defaults", port: ["target": "80", "published": "8080"],
             normalized: #"[{mode: ingress, target: 80, published: "8080", protocol: tcp}]"#),
        Case(name: "long form keeps host mode and ip", port: ["target": "53", "published": quoted("53"), "protocol": "udp",
                                                              "mode": "host", "host_ip": "0.0.0.0"],
             normalized: #"[{mode: host, host_ip: 0.0.0.0, target: 53, published: "53", protocol: udp}]"#),
    ])
    func normalizes(_ c: Case) {
        let (service, diagnostics) = normalizeService(["image": "x", "ports": [c.port]])
        #expect(diagnostics.isEmpty)
        #expect(render(service["ports"] ?? "missing") == c.normalized)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var port: String
        var message: String
        var testDescription: String { port }
    }

    @Test(arguments: [
        BadCase(port: "80:8o", message: #"invalid port "80:8o": "8o" is not a port or port range"#),
        BadCase(port: "8080:80/tcpx", message: #"invalid port "8080:80/tcpx": unknown protocol "tcpx" (use tcp, udp or sctp)"#),
        BadCase(port: "70000", message: #"invalid port "70000": "70000" is not a port or port range"#),
        BadCase(port: "8000-8001:9000-9005", message: #"invalid port "8000-8001:9000-9005": host range 8000-8001 and container range 9000-9005 differ in size"#),
        BadCase(port: "1.2.3:80:80", message: #"invalid port "1.2.3:80:80": "1.2.3" is not an IP address"#),
        BadCase(port: "8080:", message: #"invalid port "8080:": missing container port"#),
        BadCase(port: "[::1:80:80", message: #"invalid port "[::1:80:80": missing "]" after the IPv6 address"#),
        BadCase(port: "90-80", message: #"invalid port "90-80": "90-80" is not a port or port range"#),
    ])
    func rejects(_ c: BadCase) {
        guard case let .failure(error) = PortSyntax.parse(c.port) else {
            Issue.record("accepted \(c.port)")
            return
        }
        #expect(error.message == c.message)
    }

    @Test func rangeExpansionIsBounded() {
        let ports = Node.sequence((0..<2).map { _ in Node.scalar("1-65535") })
        let (_, diagnostics) = normalizeService(["image": "x", "ports": ports])
        #expect(diagnostics.map(\.description) == [
            "<generated>: services.s.ports[1]: too many ports after expanding ranges (more than 100000 in the project)",
        ])
        #expect(PortSyntax.check("1-65535:1-65535") == nil)
    }

    @Test func ipAddresses() {
        for good in ["127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1"] {
            #expect(IPAddressText.isValid(good), "\(good)")
        }
        for bad in ["256.0.0.1", "1.2.3", "1::2::3", "abc", "12345::1", ""] {
            #expect(!IPAddressText.isValid(bad), "\(bad)")
        }
    }
}
