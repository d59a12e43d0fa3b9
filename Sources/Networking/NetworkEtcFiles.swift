import Foundation
import IPAddress

/// The three files every container gets bind-mounted over its image's:
/// `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`, with Docker's
/// contents for each network mode. The texts are pure; `write(to:)` puts
/// them in the container's directory. `berth run` and compose both use it.
public struct NetworkEtcFiles: Hashable, Sendable {
    public var hosts: String
    public var hostname: String
    public var resolvConf: String

    public init(hosts: String, hostname: String, resolvConf: String) {
        self.hosts = hosts
        self.hostname = hostname
        self.resolvConf = resolvConf
    }

    /// The file names, as under /etc.
    public static let names = ["hosts", "hostname", "resolv.conf"]

    /// Docker's fixed head of /etc/hosts (IPv4 and IPv6 loopback, IPv6
    /// multicast names).
    public static let hostsHead = """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters

        """

    /// `/etc/hosts` of a container with its own network namespace: the head,
    /// `--add-host`/`extra_hosts` entries, then the container's own
    /// addresses with its hostname and further names (Docker's order).
    /// Without an address (`--network none`) the hostname maps to 127.0.1.1.
    public static func hosts(hostname: String, names: [String] = [], addresses: [String],
                             extraHosts: [(name: String, address: String)] = []) -> String {
        var out = hostsHead
        for e in extraHosts { out += "\(e.address)\t\(e.name)\n" }
        var seen = Set<String>()
        let all = ([hostname] + names).filter { !$0.isEmpty && seen.insert($0).inserted }.joinedBy(" ")
        if addresses.isEmpty {
            out += "127.0.1.1\t\(all)\n"
        } else {
            for a in addresses { out += "\(a)\t\(all)\n" }
        }
        return out
    }

    /// resolv.conf for a container that does not use berth's DNS helper
    /// (default bridge, `none`): the host's file with loopback nameservers
    /// dropped (they mean nothing inside the container), Google's public
    /// resolvers when none remain, as Docker does; `dns`, `search`,
    /// `options` replace the host's lines of that kind.
    public static func resolvConf(host text: String, dns: [String] = [], search: [String] = [],
                                  options: [String] = []) -> String {
        var out = ""
        var servers: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            switch f.first {
            case "nameserver":
                if f.count >= 2, !isLoopback(String(f[1])) { servers.append(String(f[1])) }
            case "search", "domain":
                if search.isEmpty { out += line + "\n" }
            case "options":
                if options.isEmpty { out += line + "\n" }
            default:
                if !line.isEmpty { out += line + "\n" }
            }
        }
        if !dns.isEmpty { servers = dns } else if servers.isEmpty { servers = ["8.8.8.8", "8.8.4.4"] }
        for s in servers { out += "nameserver \(s)\n" }
        if !search.isEmpty { out += "search \(search.joinedBy(" "))\n" }
        if !options.isEmpty { out += "options \(options.joinedBy(" "))\n" }
        return out
    }

    /// Whether a nameserver address is a loopback one (127.0.0.0/8, ::1).
    static func isLoopback(_ address: String) -> Bool {
        if let v4 = IPv4Address(address) { return v4.isLoopback }
        return address == "::1" || address == "0:0:0:0:0:0:0:1"
    }

    /// The host's resolv.conf; behind systemd-resolved's stub (127.0.0.53)
    /// the real upstream file, as Docker reads it.
    public static func hostResolvConf() -> String {
        let main = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        if main.contains("nameserver 127.0.0.53"),
           let upstream = try? String(contentsOfFile: "/run/systemd/resolve/resolv.conf", encoding: .utf8) {
            return upstream
        }
        return main
    }

    /// The host's own files, for `--network host` / `network_mode: host`.
    public static func forHostNetwork(hostname: String) -> NetworkEtcFiles {
        let hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? hostsHead
        let resolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        return NetworkEtcFiles(hosts: hosts, hostname: hostname, resolvConf: resolv)
    }

    /// Writes the three files into `directory` (created if missing); each
    /// replaced atomically, so a running container never reads half a file.
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try hosts.write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
        try (hostname + "\n").write(toFile: directory + "/hostname", atomically: true, encoding: .utf8)
        try resolvConf.write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
    }
}
