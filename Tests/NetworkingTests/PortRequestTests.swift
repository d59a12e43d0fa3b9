import IPAddress
@testable import Networking
import Testing

@Suite struct PortRequestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var expected: [String]
        var testDescription: String { text }
    }

    // Ephemeral ports come from the picker: 49000, 49001, …
    @Test(arguments: [
        Case(text: "8000", expected: ["0.0.0.0:49000->8000/tcp"]),
        Case(text: "8000:80", expected: ["0.0.0.0:8000->80/tcp"]),
        Case(text: "127.0.0.1:8000:80", expected: ["127.0.0.1:8000->80/tcp"]),
        Case(text: "127.0.0.1::80", expected: ["127.0.0.1:49000->80/tcp"]),
        Case(text: "0.0.0.0:53:53/udp", expected: ["0.0.0.0:53->53/udp"]),
        Case(text: "8000-8001:80-81", expected: ["0.0.0.0:8000->80/tcp", "0.0.0.0:8001->81/tcp"]),
        Case(text: "9090-9091", expected: ["0.0.0.0:49000->9090/tcp", "0.0.0.0:49001->9091/tcp"]),
        Case(text: "6060:6060/UDP", expected: ["0.0.0.0:6060->6060/udp"]),
        Case(text: "[::1]:8080:80", expected: ["[::1]:8080->80/tcp"]),
        Case(text: "[::]::80/udp", expected: ["[::]:49000->80/udp"]),
        Case(text: "[fd00:1::2]:8000-8001:80-81", expected: ["[fd00:1::2]:8000->80/tcp", "[fd00:1::2]:8001->81/tcp"]),
    ])
    func expands(_ c: Case) throws {
        var next: UInt16 = 49000
        let bindings = try PortBinding.expand([try PortRequest.parse(c.text)]) { _, _ in
            defer { next += 1 }
            return next
        }
        #expect(bindings.map(\.description) == c.expected)
    }

    /// On a network with IPv6, no host address means both families with one
    /// host port; an explicit 0.0.0.0 stays IPv4 only (Docker's rules).
    @Test func defaultBindingsCoverBothFamiliesWithIPv6() throws {
        var asked: [[HostAddress]] = []
        let requests = try ["8000:80", "81", "0.0.0.0:8002:82", "127.0.0.1:8003:83"].map(PortRequest.parse)
        let bindings = try PortBinding.expand(requests, ipv6: true) { _, ips in
            asked.append(ips)
            return 49000
        }
        #expect(bindings.map(\.description) == [
            "0.0.0.0:8000->80/tcp", "[::]:8000->80/tcp", "0.0.0.0:49000->81/tcp", "[::]:49000->81/tcp",
            "0.0.0.0:8002->82/tcp", "127.0.0.1:8003->83/tcp",
        ])
        #expect(asked == [[.anyIPv4, .anyIPv6]])
        // Families do not collide with each other; within a family, `::` takes every address.
        #expect(!bindings[0].conflicts(with: bindings[1]))
        let lo6 = PortBinding(hostIP: .loopbackIPv6, hostPort: 8000, containerPort: 1, proto: .tcp)
        #expect(lo6.conflicts(with: bindings[1]) && !lo6.conflicts(with: bindings[0]))
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var text: String
        var message: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        Bad(text: "80:8o", message: "invalid port \"80:8o\": invalid container port \"8o\""),
        Bad(text: "80/sctp", message: "invalid port \"80/sctp\": unknown protocol \"sctp\" (expected tcp or udp)"),
        Bad(text: "1.2.3:80:80", message: "invalid port \"1.2.3:80:80\": invalid host address \"1.2.3\""),
        Bad(text: "8000-8002:80-81", message: "invalid port \"8000-8002:80-81\": host range 8000-8002 and container range 80-81 differ in size"),
        Bad(text: "0", message: "invalid port \"0\": invalid container port \"0\""),
        Bad(text: "[::1:80:80", message: "invalid port \"[::1:80:80\": invalid IPv6 host address (expected [ADDRESS]:HOST_PORT:CONTAINER_PORT)"),
        Bad(text: "[1.2.3.4]:80:80", message: "invalid port \"[1.2.3.4]:80:80\": invalid IPv6 host address (expected [ADDRESS]:HOST_PORT:CONTAINER_PORT)"),
        Bad(text: "[::1]:80", message: "invalid port \"[::1]:80\": expected [IPV6]:[HOST_PORT]:CONTAINER_PORT[/PROTOCOL]"),
        Bad(text: "::1:80:80", message: "invalid port \"::1:80:80\": expected [[HOST_IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL] (an IPv6 host address goes in brackets)"),
    ])
    func rejects(_ c: Bad) {
        #expect(throws: NetworkError(c.message)) { try PortRequest.parse(c.text) }
    }

    @Test func conflicts() {
        let any = PortBinding(hostIP: IPv4Address(0), hostPort: 80, containerPort: 80, proto: .tcp)
        let lo = PortBinding(hostIP: IPv4Address(127, 0, 0, 1), hostPort: 80, containerPort: 8080, proto: .tcp)
        let udp = PortBinding(hostIP: IPv4Address(0), hostPort: 80, containerPort: 80, proto: .udp)
        let other = PortBinding(hostIP: IPv4Address(10, 0, 0, 1), hostPort: 80, containerPort: 80, proto: .tcp)
        #expect(any.conflicts(with: lo))
        #expect(!any.conflicts(with: udp))
        #expect(!lo.conflicts(with: other))
    }

    @Test func parsesProcNetSockets() {
        let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
           1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
           2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0
        """
        let s = HostPorts.parseSockets(tcp, tcp: true)
        #expect(s.map(\.port) == [8080, 22])
        #expect(s[0].address == .loopbackIPv4)
        #expect(s[1].address == nil)
        #expect(s[0].inode == 12345)
        // tcp6: ::1, ::, an IPv4-mapped 127.0.0.1, a ULA (words in host byte order).
        let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0
           1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0
           2: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0
           3: 000000FD000000000000000002000000:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0
        """
        let s6 = HostPorts.parseSockets(tcp6, tcp: true)
        #expect(s6.map(\.address) == [.loopbackIPv6, nil, .loopbackIPv4, HostAddress("fd00::2")])
    }
}
