import Networking
import Testing

/// Docker's /etc/hosts and resolv.conf texts for containers (pure).
struct NetworkEtcFilesTests {
    struct HostsCase: CustomTestStringConvertible, Sendable {
        var name: String
        var hostname: String
        var names: [String]
        var addresses: [String]
        var extra: [String]
        var tail: String
        var testDescription: String { name }
    }

    static let hostsCases: [HostsCase] = [
        HostsCase(name: "bridge: own address, name after hostname", hostname: "0123456789ab", names: ["web"],
                  addresses: ["172.17.0.2"], extra: [], tail: "172.17.0.2\t0123456789ab web\n"),
        HostsCase(name: "both families", hostname: "h", names: [], addresses: ["10.0.0.2", "fd00::2"], extra: [],
                  tail: "10.0.0.2\th\nfd00::2\th\n"),
        HostsCase(name: "none: hostname on 127.0.1.1", hostname: "box", names: [], addresses: [], extra: [],
                  tail: "127.0.1.1\tbox\n"),
        HostsCase(name: "extra hosts before own line, duplicate name once", hostname: "web", names: ["web"],
                  addresses: ["10.0.0.2"], extra: ["db=10.0.0.9"], tail: "10.0.0.9\tdb\n10.0.0.2\tweb\n"),
    ]

    @Test(arguments: hostsCases) func hosts(_ c: HostsCase) {
        let extra = c.extra.map { e in
            let p = e.split(separator: "=").map(String.init)
            return (name: p[0], address: p[1])
        }
        let text = NetworkEtcFiles.hosts(hostname: c.hostname, names: c.names, addresses: c.addresses, extraHosts: extra)
        #expect(text == NetworkEtcFiles.hostsHead + c.tail)
    }

    @Test func hostsHeadIsDockers() {
        #expect(NetworkEtcFiles.hostsHead == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                + "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
    }

    struct ResolvCase: CustomTestStringConvertible, Sendable {
        var name: String
        var host: String
        var dns: [String] = []
        var search: [String] = []
        var options: [String] = []
        var expected: String
        var testDescription: String { name }
    }

    static let resolvCases: [ResolvCase] = [
        ResolvCase(name: "host's servers and search kept", host: "search lan\nnameserver 10.0.0.53\noptions edns0\n",
                   expected: "search lan\noptions edns0\nnameserver 10.0.0.53\n"),
        ResolvCase(name: "loopback servers dropped, Google's when none remain",
                   host: "nameserver 127.0.0.53\nnameserver ::1\n", expected: "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"),
        ResolvCase(name: "loopback dropped, others kept", host: "nameserver 127.0.0.1\nnameserver 192.0.2.53\n",
                   expected: "nameserver 192.0.2.53\n"),
        ResolvCase(name: "--dns, --dns-search, --dns-option replace the host's",
                   host: "search lan\nnameserver 10.0.0.53\noptions edns0\n", dns: ["9.9.9.9"], search: ["corp"],
                   options: ["ndots:2"], expected: "nameserver 9.9.9.9\nsearch corp\noptions ndots:2\n"),
    ]

    @Test(arguments: resolvCases) func resolvConf(_ c: ResolvCase) {
        #expect(NetworkEtcFiles.resolvConf(host: c.host, dns: c.dns, search: c.search, options: c.options) == c.expected)
    }
}
