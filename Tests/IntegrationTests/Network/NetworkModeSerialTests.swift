import BerthTestSupport
import Foundation
import Testing

/// `network_mode` (compose) and `--network` (run) with real containers:
/// a shared namespace is the very same namespace (same nsfs inode), with
/// the owner's hostname and /etc files; `none` has only `lo`, up; MAC
/// addresses land on the interfaces; down and rm leave nothing.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct NetworkModeSerialTests {
    func write(_ t: TestRoot, _ yaml: String) throws {
        try Data(yaml.utf8).write(to: t.directory.appendingPathComponent("compose.yaml"))
    }

    func compose(_ t: TestRoot, _ args: String...) throws -> CommandResult {
        try t.compose(args, in: t.directory)
    }

    /// `compose exec -T SERVICE sh -c SCRIPT`, stdout trimmed.
    func exec(_ t: TestRoot, _ service: String, _ script: String) throws -> String {
        let r = try t.compose(["compose", "exec", "-T", service, "sh", "-c", script], in: t.directory)
        #expect(r.status == 0, "\(service): \(script): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let project = """
        services:
          web:
            image: busybox:latest
            environment: {GENERATION: "${GENERATION:-1}"}
            command: ["sh", "-c", "mkdir -p /www && echo shared-ns > /www/index.html && exec httpd -f -p 8080 -h /www"]
          side:
            image: busybox:latest
            network_mode: service:web
            command: ["sleep", "600"]
          lonely:
            image: busybox:latest
            network_mode: none
            command: ["sleep", "600"]
          macs:
            image: busybox:latest
            command: ["sleep", "600"]
            mac_address: "02:aa:bb:cc:dd:01"
            networks:
              default: {}
              other:
                mac_address: 02-AA-BB-CC-DD-02
        networks:
          other: {}
        """

    @Test func composeNetworkModesShareNoneAndMAC() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            try write(t, Self.project)
            t.defer_("down") { _ = try self.compose(t, "down", "-t", "0") }
            let up = try compose(t, "up", "-d")
            #expect(up.status == 0, "\(up.stderr)")

            // side lives in web's namespace: same inode, web's server on 127.0.0.1, web's names.
            let webNS = try exec(t, "web", "readlink /proc/self/ns/net")
            #expect(webNS.hasPrefix("net:["))
            #expect(try exec(t, "side", "readlink /proc/self/ns/net") == webNS)
            #expect(try exec(t, "side", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080").hasSuffix("shared-ns"))
            #expect(try exec(t, "side", "hostname") == (try exec(t, "web", "hostname")))
            #expect(try exec(t, "side", "cat /etc/hosts /etc/resolv.conf") == (try exec(t, "web", "cat /etc/hosts /etc/resolv.conf")))
            #expect(try exec(t, "side", "ip -o -4 addr show dev eth0") == (try exec(t, "web", "ip -o -4 addr show dev eth0")))
            // The name of the owner resolves from the sharer (web's DNS).
            #expect(try exec(t, "side", "nslookup macs").contains("Name:\tmacs"))

            // none: a namespace of its own with only lo, and lo is up.
            let lonelyNS = try exec(t, "lonely", "readlink /proc/self/ns/net")
            #expect(lonelyNS != webNS)
            #expect(try exec(t, "lonely", "ls /sys/class/net") == "lo")
            #expect(try exec(t, "lonely", "ip -o link show lo").contains(",UP"))
            #expect(try exec(t, "lonely", "ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ok") == "ok")

            // mac_address: the service's on its first network, a network's own on that one.
            #expect(try exec(t, "macs", "cat /sys/class/net/eth0/address") == "02:aa:bb:cc:dd:01")
            #expect(try exec(t, "macs", "cat /sys/class/net/eth1/address") == "02:aa:bb:cc:dd:02")

            // run --network container:<compose container> shares the namespace and the files too.
            let run = try t.berth("run", "--rm", "--network", "container:\(t.prefix)-web-1", "busybox:latest",
                                  "sh", "-c", "readlink /proc/self/ns/net; hostname; cat /etc/hosts")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == webNS + "\n" + (try exec(t, "web", "hostname; cat /etc/hosts")) + "\n")

            // Recreating web (its config changed) recreates side in the new namespace.
            let sideID = try compose(t, "compose", "ps", "-q", "side").stdout
            let again = try t.compose(["up", "-d"], in: t.directory, env: ["GENERATION": "2"])
            #expect(again.status == 0, "\(again.stderr)")
            let newWebNS = try exec(t, "web", "readlink /proc/self/ns/net")
            #expect(newWebNS != webNS)
            #expect(try exec(t, "side", "readlink /proc/self/ns/net") == newWebNS)
            #expect(try compose(t, "compose", "ps", "-q", "side").stdout != sideID)

            // `berth rm` of compose containers takes their wiring with them (pinned namespace, veths).
            let lonelyID = try compose(t, "compose", "ps", "-q", "lonely").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let pinnedLonely = t.run.appendingPathComponent("netns/\(lonelyID)").path
            #expect(!lonelyID.isEmpty && FileManager.default.fileExists(atPath: pinnedLonely))
            func veths() throws -> Set<String> {
                try HostLinks.names().filter { $0.hasPrefix("brtv") }
            }
            let before = try veths()
            #expect(try t.berth("rm", "-f", "\(t.prefix)-lonely-1", "\(t.prefix)-macs-1").status == 0)
            #expect(!FileManager.default.fileExists(atPath: pinnedLonely))
            let after = try veths()
            #expect(after.isSubset(of: before) && before.count - after.count == 2, "\(before) → \(after)")

            let down = try compose(t, "down", "-t", "0")
            #expect(down.status == 0, "\(down.stderr)")
            let pinned = (try? FileManager.default.contentsOfDirectory(atPath: t.run.appendingPathComponent("netns").path)) ?? []
            #expect(pinned.isEmpty, "\(pinned)")
            #expect(try compose(t, "compose", "ps", "-a", "-q").stdout.isEmpty)
        }
    }

    @Test func portsOnASharedNamespaceAreRefusedBeforeAnythingStarts() async throws {
        try await withTestRoot { t in
            try write(t, """
                services:
                  web: {image: busybox:latest, command: ["sleep", "60"]}
                  side:
                    image: busybox:latest
                    network_mode: service:web
                    ports: ["8080:80"]
                """)
            let up = try compose(t, "up", "-d")
            #expect(up.status != 0)
            #expect(up.stderr.contains("compose.yaml:6:12: services.side.ports: conflicting options: port publishing and the container type network mode"),
                    "\(up.stderr)")
            #expect(try compose(t, "compose", "ps", "-a", "-q").stdout.isEmpty)
        }
    }

    @Test func runNetworkNoneHostAndContainer() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            let name = "\(t.prefix)-owner"
            t.defer_("rm -f owner") { _ = try t.berth("rm", "-f", name) }
            let started = try t.berth("run", "-d", "--name", name, "--network", "none", "--hostname", "owner-host", "busybox:latest",
                                      "sleep", "600")
            #expect(started.status == 0, "\(started.stderr)")

            // none: only lo, up.
            let owner = try t.berth("exec", name, "sh", "-c", "readlink /proc/self/ns/net; ls /sys/class/net; ip -o link show lo")
            let lines = owner.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3 && lines[1] == "lo" && lines[2].contains(",UP"), "\(owner.stdout)")
            // The same in the foreground, whose monitor makes the namespace while it waits for the attach.
            let foreground = try t.berth("run", "--rm", "--network", "none", "busybox:latest",
                                         "sh", "-c", "readlink /proc/self/ns/net; ls /sys/class/net; ip -o link show lo")
            let own = foreground.stdout.split(separator: "\n").map(String.init)
            #expect(foreground.status == 0 && own.count == 3 && own[0] != lines[0] && own[1] == "lo" && own[2].contains(",UP"),
                    "\(foreground.stdout)\(foreground.stderr)")
            #expect(own.first != (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")))

            // container:NAME joins the running owner's namespace and takes its hostname.
            let joined = try t.berth("run", "--rm", "--net", "container:\(name)", "busybox:latest",
                                     "sh", "-c", "readlink /proc/self/ns/net; hostname")
            #expect(joined.status == 0, "\(joined.stderr)")
            #expect(joined.stdout == "\(lines[0])\nowner-host\n")

            // host: the host's namespace.
            let host = try t.berth("run", "--rm", "--network", "host", "busybox:latest", "readlink", "/proc/self/ns/net")
            let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
            #expect(host.stdout == mine + "\n", "\(host.stderr)")

            // Docker's conflicts and errors, before anything is created.
            let conflict = try t.berth("run", "--rm", "--network", "container:\(name)", "-h", "x", "busybox:latest", "true")
            #expect(conflict.status == 125 && conflict.stderr.contains("conflicting options: hostname and the network mode"))
            let badMAC = try t.berth("run", "--rm", "--mac-address", "02:42:zz:00:00:01", "busybox:latest", "true")
            #expect(badMAC.status == 125 && badMAC.stderr.contains("invalid MAC address"), "\(badMAC.stderr)")
            let missing = try t.berth("run", "--rm", "--network", "container:\(t.prefix)-nobody", "busybox:latest", "true")
            #expect(missing.status == 125 && missing.stderr.contains("No such container"), "\(missing.stderr)")
            let unknown = try t.berth("run", "--rm", "--network", "\(t.prefix)-net", "busybox:latest", "true")
            #expect(unknown.status == 125 && unknown.stderr.contains("not found"), "\(unknown.stderr)")

            // A stopped owner: the sharer cannot start.
            #expect(try t.berth("stop", "-t", "0", name).status == 0)
            let stopped = try t.berth("run", "--rm", "--network", "container:\(name)", "busybox:latest", "true")
            #expect(stopped.status == 125 && stopped.stderr.contains("cannot join network of a non running container"),
                    "\(stopped.stderr)")
            let listed = try t.berth("ps", "-a", "-q")
            #expect(listed.stdout.split(separator: "\n").count == 1, "\(listed.stdout)")
        }
    }
}
