import BerthTestSupport
import Diagnostics
import Foundation
import IPAddress
import Networking
import Testing

/// `berth run` on networks, end to end with busybox containers: the
/// default `bridge` (reach by IP, outbound NAT, Docker's /etc files), a
/// user-defined network (DNS by name and alias, --ip, --mac-address),
/// published ports, the /etc files of every mode, and that `rm`/`--rm`
/// release everything.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"), .requiresTool("/usr/sbin/nft"))
struct RunNetworkSerialTests {
    /// `berth exec NAME sh -c SCRIPT`, stdout trimmed.
    func exec(_ t: TestRoot, _ name: String, _ script: String) throws -> String {
        let r = try t.berth("exec", name, "sh", "-c", script)
        #expect(r.status == 0, "\(name): \(script): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func start(_ t: TestRoot, _ name: String, _ args: [String], command: [String] = ["sleep", "600"]) throws {
        t.defer_("rm -f \(name)") { _ = try t.berth("rm", "-f", name) }
        let r = try t.berth(arguments: ["run", "-d", "--name", name] + args + ["busybox:latest"] + command)
        #expect(r.status == 0, "\(r.stderr)")
    }

    func veths() -> Set<String> {
        ((try? HostLinks.names()) ?? []).filter { $0.hasPrefix("brtv") }
    }

    static let hostsHead = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        + "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

    @Test func defaultBridgeReachesPeersByIPAndTheOutsideThroughNAT() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let (_, outsideIP) = try NetworkSerialTests().outside(t)
            try start(t, "\(t.prefix)-a", [], command: ["sh", "-c", "mkdir -p /www && echo peer > /www/index.html && exec httpd -f -p 80 -h /www"])
            try start(t, "\(t.prefix)-b", [])

            // Both on the predefined bridge: listed, not removable.
            let store = NetworkStore(paths: StatePaths(root: t.root.path, run: t.run.path))
            let bridge = try store.inspect("bridge")
            #expect(bridge.isPredefined && bridge.endpoints.count == 2)
            let ls = try t.berth("network", "ls")
            #expect(ls.stdout.contains("\(bridge.id.prefix(12))   bridge   bridge   local"), "\(ls.stdout)")
            let rm = try t.berth("network", "rm", "bridge")
            #expect(rm.status != 0 && rm.stderr.contains("bridge is a pre-defined network and cannot be removed"), "\(rm.stderr)")

            // b reaches a by IP, and the outside (no route back) through masquerade.
            let aIP = try exec(t, "\(t.prefix)-a", "ip -o -4 addr show dev eth0").split(separator: " ")[3].split(separator: "/")[0]
            #expect(bridge.plan.subnet.contains(try #require(IPv4Address(aIP))))
            let get = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2"
            #expect(try exec(t, "\(t.prefix)-b", "\(get) \(aIP) 80").hasSuffix("peer"))
            #expect(try exec(t, "\(t.prefix)-b", "\(get) \(outsideIP) 80").hasSuffix("outside"))
            #expect(try exec(t, "\(t.prefix)-b", "ip route show default") .hasPrefix("default via \(bridge.plan.gateway) dev eth0"))

            // Docker's files: the short id as hostname, own address, host's resolv.conf (no DNS helper).
            let bID = try t.berth("ps", "-q", "--filter", "name=\(t.prefix)-b").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let bIP = try exec(t, "\(t.prefix)-b", "ip -o -4 addr show dev eth0").split(separator: " ")[3].split(separator: "/")[0]
            #expect(try exec(t, "\(t.prefix)-b", "hostname") == String(bID))
            #expect(try t.berth("exec", "\(t.prefix)-b", "cat", "/etc/hosts").stdout
                    == Self.hostsHead + "\(bIP)\t\(bID) \(t.prefix)-b\n")
            let hostResolv = NetworkEtcFiles.resolvConf(host: NetworkEtcFiles.hostResolvConf())
            #expect(try t.berth("exec", "\(t.prefix)-b", "cat", "/etc/resolv.conf").stdout == hostResolv)
            #expect(!hostResolv.contains("nameserver 127."))

            // rm releases the endpoint and the veth; prune takes the unused bridge's kernel side down.
            #expect(try t.berth("rm", "-f", "\(t.prefix)-a", "\(t.prefix)-b").status == 0)
            #expect(try store.inspect("bridge").endpoints.isEmpty)
            #expect(try HostLinks.exists(bridge.bridge))
            #expect(try t.berth("network", "prune", "-f").status == 0)
            #expect(try !HostLinks.exists(bridge.bridge))
            #expect(try t.berth("network", "ls", "-q").stdout == "\(bridge.id.prefix(12))\n")
        }
    }

    struct FilesCase: CustomTestStringConvertible, Sendable {
        var name: String
        var args: [String]
        /// Expected /etc/hosts given the hostname and the eth0 address.
        var hosts: @Sendable (_ hostname: String, _ ip: String) -> String
        var hostname: String?
        var resolv: @Sendable (_ gateway: String) -> String
        var testDescription: String { name }
    }

    static let filesCases: [FilesCase] = [
        FilesCase(name: "none", args: ["--network", "none", "--hostname", "box", "--add-host", "db:10.1.2.3", "--dns", "9.9.9.9"],
                  hosts: { _, _ in hostsHead + "10.1.2.3\tdb\n127.0.1.1\tbox\n" }, hostname: "box",
                  resolv: { _ in NetworkEtcFiles.resolvConf(host: NetworkEtcFiles.hostResolvConf(), dns: ["9.9.9.9"]) }),
        FilesCase(name: "host", args: ["--network", "host"],
                  hosts: { _, _ in (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? "" },
                  hostname: (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?
                      .trimmingCharacters(in: .whitespacesAndNewlines),
                  resolv: { _ in (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "" }),
        FilesCase(name: "user network", args: ["--network", "NET", "--hostname", "web", "--add-host", "gw:host-gateway",
                                               "--dns-search", "example.com", "--dns-option", "ndots:2"],
                  hosts: { _, ip in hostsHead + "GATEWAY\tgw\n\(ip)\tweb NAME\n" }, hostname: "web",
                  resolv: { gw in "# generated by berth\nnameserver \(gw)\nsearch example.com\noptions ndots:2\n" }),
    ]

    @Test(arguments: filesCases) func etcFilesOfEveryMode(_ c: FilesCase) async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let net = "\(t.prefix)-net"
            #expect(try t.berth("network", "create", net).status == 0)
            t.defer_("network rm") { _ = try t.berth("network", "rm", net) }
            let name = "\(t.prefix)-files"
            try start(t, name, c.args.map { $0 == "NET" ? net : $0 })
            let gateway = try NetworkStore(paths: StatePaths(root: t.root.path, run: t.run.path)).inspect(net).plan.gateway.description
            let hostname = try exec(t, name, "hostname")
            if let expected = c.hostname { #expect(hostname == expected) }
            let ip = c.name == "user network"
                ? String(try exec(t, name, "ip -o -4 addr show dev eth0").split(separator: " ")[3].split(separator: "/")[0]) : ""
            let hosts = c.hosts(hostname, ip).replacingOccurrences(of: "GATEWAY", with: gateway)
                .replacingOccurrences(of: "NAME", with: name)
            #expect(try t.berth("exec", name, "cat", "/etc/hosts").stdout == hosts)
            #expect(try t.berth("exec", name, "cat", "/etc/hostname").stdout == hostname + "\n")
            #expect(try t.berth("exec", name, "cat", "/etc/resolv.conf").stdout == c.resolv(gateway))
            // Bind mounts of berth's files, not files in the image.
            #expect(try exec(t, name, "grep -c ' /etc/hosts \\| /etc/hostname \\| /etc/resolv.conf ' /proc/self/mountinfo") == "3")
        }
    }

    @Test func userNetworkResolvesNamesAndAliases() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let net = "\(t.prefix)-net"
            #expect(try t.berth("network", "create", "--subnet", "10.214.9.0/24", net).status == 0)
            t.defer_("network rm") { _ = try t.berth("network", "rm", net) }
            try start(t, "\(t.prefix)-db", ["--network", net, "--network-alias", "database", "--ip", "10.214.9.50",
                                             "--mac-address", "02:42:0a:d6:09:32"])
            try start(t, "\(t.prefix)-app", ["--network", net])
            #expect(try exec(t, "\(t.prefix)-db", "cat /sys/class/net/eth0/address") == "02:42:0a:d6:09:32")
            for name in ["\(t.prefix)-db", "database"] {
                let out = try exec(t, "\(t.prefix)-app", "nslookup \(name). && ping -c 1 -W 2 \(name) >/dev/null && echo reached")
                #expect(out.contains("Address: 10.214.9.50") && out.hasSuffix("reached"), "\(name): \(out)")
            }
            let back = try exec(t, "\(t.prefix)-db", "nslookup \(t.prefix)-app.")
            #expect(back.contains("Address: 10.214.9."), "\(back)")

            // Docker's refusals before anything is created.
            let taken = try t.berth("run", "--rm", "--network", net, "--ip", "10.214.9.50", "busybox:latest", "true")
            #expect(taken.status == 125, "\(taken.stderr)")
            let aliasOnBridge = try t.berth("run", "--rm", "--network-alias", "x", "busybox:latest", "true")
            #expect(aliasOnBridge.status == 125 && aliasOnBridge.stderr.contains("user defined networks only"))
            let macOnNone = try t.berth("run", "--rm", "--network", "none", "--mac-address", "02:42:00:00:00:01", "busybox:latest", "true")
            #expect(macOnNone.status == 125 && macOnNone.stderr.contains("conflicting options"))
            #expect(try t.berth("ps", "-a", "-q").stdout.split(separator: "\n").count == 2)
        }
    }

    @Test func publishedPortServesLoopbackConflictsAndRmReleasesAll() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let vethsBefore = veths()
            let port = try HostListener.freePort()
            let name = "\(t.prefix)-web"
            try start(t, name, ["-p", "127.0.0.1:\(port):80", "-p", "8080"],
                      command: ["sh", "-c", "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www"])
            #expect(Host.eventually { (try? NetworkSerialTests.httpGet([], "127.0.0.1", port)) == "published\n" })

            // berth port and ps show the bindings, the ephemeral one resolved.
            let ports = try t.berth("port", name).stdout.split(separator: "\n").map(String.init)
            #expect(ports.count == 2 && ports[0] == "80/tcp -> 127.0.0.1:\(port)" && ports[1].hasPrefix("8080/tcp -> 0.0.0.0:"), "\(ports)")
            let ephemeral = try #require(UInt16(ports[1].split(separator: ":").last ?? ""))
            #expect(ephemeral != 0)
            #expect(try t.berth("port", name, "80").stdout == "127.0.0.1:\(port)\n")
            #expect(try t.berth("ps").stdout.contains("127.0.0.1:\(port)->80/tcp, 0.0.0.0:\(ephemeral)->8080/tcp"))

            // The same host port again: Docker's error, and nothing of the second container stays.
            let clash = try t.berth("run", "--rm", "-p", "127.0.0.1:\(port):80", "busybox:latest", "true")
            #expect(clash.status == 125 && clash.stderr.contains("Bind for 127.0.0.1:\(port) failed: port is already allocated"),
                    "\(clash.stderr)")
            #expect(try t.berth("ps", "-a", "-q").stdout.split(separator: "\n").count == 1)

            // rm: port, veth, address and namespace gone; the port is free for the next one.
            #expect(try t.berth("rm", "-f", name).status == 0)
            #expect(veths() == vethsBefore)
            #expect((try? FileManager.default.contentsOfDirectory(atPath: t.run.path + "/netns")) ?? [] == [])
            #expect(try NetworkSerialTests.httpGet([], "127.0.0.1", port, timeout: 2) == nil)
            let again = try t.berth("run", "--rm", "-p", "127.0.0.1:\(port):80", "busybox:latest", "true")
            #expect(again.status == 0, "\(again.stderr)")
        }
    }

    @Test func runRmLeavesNothing() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let net = "\(t.prefix)-net"
            #expect(try t.berth("network", "create", net).status == 0)
            t.defer_("network rm") { _ = try t.berth("network", "rm", net) }
            let vethsBefore = veths()
            let port = try HostListener.freePort()
            for args in [[String](), ["--network", net, "-p", "127.0.0.1:\(port):80"]] {
                let r = try t.berth(arguments: ["run", "--rm"] + args + ["busybox:latest", "sh", "-c", "ip -o -4 addr show dev eth0"])
                #expect(r.status == 0 && r.stdout.contains("inet "), "\(args): \(r.stderr)")
                #expect(try t.berth("ps", "-a", "-q").stdout.isEmpty)
                #expect((try? FileManager.default.contentsOfDirectory(atPath: t.run.path + "/netns")) ?? [] == [])
                // The veth goes with the unpinned namespace, a few ms later:
                // `run` does not wait for the kernel's grace periods.
                #expect(Host.eventually { veths() == vethsBefore })
            }
            let store = NetworkStore(paths: StatePaths(root: t.root.path, run: t.run.path))
            #expect(try store.list().allSatisfy { $0.endpoints.isEmpty })

            // Detached: the monitor removes it; the next network operation releases its address.
            let d = try t.berth("run", "-d", "--rm", "--network", net, "busybox:latest", "true")
            #expect(d.status == 0, "\(d.stderr)")
            #expect(Host.eventually { (try? t.berth("ps", "-a", "-q").stdout.isEmpty) == true })
            #expect(try t.berth("network", "prune", "-f", "--filter", "type=builtin").status == 0)
            #expect(try store.inspect(net).endpoints.isEmpty)
            #expect(Host.eventually { veths() == vethsBefore })
        }
    }
}
