import BerthTestSupport
import Diagnostics
import EBPF
import Foundation
import IPAddress
import Networking
import SystemCalls
import Testing

/// Networks, containers (netns stand-ins), DNS, published ports and
/// isolation against the real kernel. Traffic stays on loopback and inside
/// namespaces these tests create.
@Suite(.serialized, .requiresRoot, .requiresTool("/bin/busybox"), .requiresTool("/usr/sbin/nft"))
struct NetworkSerialTests {
    static let busybox = "/bin/busybox"

    /// Creates a network and registers its removal (detaching what is left).
    func network(_ t: TestRoot, _ store: NetworkStore, _ name: String,
                 _ options: NetworkOptions = NetworkOptions()) throws -> NetworkRecord {
        let r = try store.create(name: name, options: options)
        t.defer_("remove network \(name)") {
            guard let current = try? store.inspect(r.id) else { return }
            let attacher = NetworkAttacher(store: store)
            for id in current.endpoints.keys { try attacher.detach(containerID: id, network: r.id) }
            try store.remove(r.id)
        }
        return r
    }

    func attach(_ t: TestRoot, _ store: NetworkStore, _ c: NetnsContainer, id: String, name: String, network: String,
                aliases: [String] = [], ip: IPv4Address? = nil) throws -> Networking.Attachment {
        let a = try NetworkAttacher(store: store).attach(AttachRequest(
            containerID: id, containerName: name, network: network, namespace: .pid(c.pid), aliases: aliases, ipv4Address: ip))
        t.defer_("detach \(name)") {
            // The test may have removed the network itself.
            if (try? store.inspect(network)) != nil { try NetworkAttacher(store: store).detach(containerID: id, network: network) }
        }
        return a
    }

    func nslookup(_ c: NetnsContainer, _ name: String, server: IPv4Address) throws -> [String] {
        let r = try c.run([Self.busybox, "nslookup", "-type=a", name, server.description], timeout: 5)
        // Skip the "Server:/Address: <server>#53" header lines.
        return r.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("Address:") || line.hasPrefix("Address "), !line.contains("#53") else { return nil }
            return line.split(separator: " ").last.map(String.init)
        }.filter { IPv4Address($0) != nil }
    }

    func serveHTTP(_ t: TestRoot, _ c: NetnsContainer, text: String, port: Int = 80) throws {
        let www = t.directory.appendingPathComponent("www-\(c.pid)-\(port)")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: www.appendingPathComponent("index.html"))
        _ = try c.start(t, [Self.busybox, "httpd", "-f", "-p", "\(port)", "-h", www.path])
        #expect(Host.eventually { (try? c.run([Self.busybox, "nc", "-w", "1", "127.0.0.1", "\(port)"], timeout: 2).status) == 0 })
    }

    /// An HTTP/1.0 GET with busybox nc (busybox wget crashes on this
    /// machine's static build); returns the body, nil on failure.
    static func httpGet(_ prefix: [String], _ ip: String, _ port: UInt16, timeout: Double = 4) throws -> String? {
        let script = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | \(busybox) nc -w 2 \(ip) \(port)"
        let r = try Host.run("/usr/bin/timeout", ["-s", "KILL", "\(timeout)"] + prefix + ["/bin/sh", "-c", script])
        guard r.status == 0, r.stdout.hasPrefix("HTTP/1."), let split = r.stdout.range(of: "\r\n\r\n") else { return nil }
        return String(r.stdout[split.upperBound...])
    }

    func fetchFromHost(_ ip: String, _ port: UInt16) throws -> String? {
        try Self.httpGet([], ip, port)
    }

    func fetch(in c: NetnsContainer, _ ip: String, _ port: UInt16 = 80) throws -> String? {
        try Self.httpGet(["/usr/bin/nsenter", "--net=/proc/\(c.pid)/ns/net", "--"], ip, port)
    }

    // MARK: lifecycle

    @Test func createThenRemoveLeavesNothing() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let r = try store.create(name: "\(t.prefix)_default")
            let links = LinkControl(try NetlinkSocket())
            let bridge = try #require(try links.link(named: r.bridge))
            #expect(bridge.up)
            let addrs = try links.addresses().filter { $0.index == bridge.index }.compactMap(\.ipv4)
            #expect(Set(addrs) == [r.plan.gateway, r.plan.loopbackAlias])
            #expect(try Host.ruleset().contains("table inet \(store.tableName)"))
            #expect(DNSHelper.isRunning(pidFile: store.paths.run + "/networks/\(r.id.prefix(12))/dns.pid", records: store.recordsPath(r.id)))
            #expect((try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8))?.hasPrefix("1") == true)
            #expect(throws: NetworkError("network with name \(t.prefix)_default already exists")) {
                try store.create(name: "\(t.prefix)_default")
            }

            try store.remove(r.name)
            #expect(try links.link(named: r.bridge) == nil)
            #expect(try links.addresses().compactMap(\.ipv4).allSatisfy { !r.plan.subnet.contains($0) })
            #expect(try links.routes().allSatisfy { route in
                route.destination.count != 4 || !r.plan.subnet.contains(IPv4Address(route.destination[0], route.destination[1], route.destination[2], route.destination[3]))
            })
            let rules = try Host.ruleset()
            #expect(!rules.contains(store.tableName))
            #expect(!rules.contains("berth-compat"))
            #expect(!FileManager.default.fileExists(atPath: store.recordsPath(r.id)))
            #expect(LeakCheck.processes(referencing: store.recordsPath(r.id)).isEmpty)
            #expect(try store.list().isEmpty)
        }
    }

    @Test func concurrentCreatesGetDistinctSubnets() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let names = (0..<4).map { "\(t.prefix)_n\($0)" }
            let results = try await withThrowingTaskGroup(of: NetworkRecord.self) { group in
                for n in names { group.addTask { try store.create(name: n) } }
                var out: [NetworkRecord] = []
                for try await r in group { out.append(r) }
                return out
            }
            for r in results { t.defer_("remove \(r.name)") { try store.remove(r.id) } }
            let subnets = results.map(\.plan.subnet)
            #expect(Set(subnets).count == 4)
            for (i, a) in subnets.enumerated() { for b in subnets[(i + 1)...] { #expect(!a.overlaps(b)) } }
        }
    }

    @Test func kernelSideIsRestoredOnAttachAfterReboot() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let net = try network(t, store, "\(t.prefix)_default")
            // Simulate a reboot: the helper and the bridge are gone, the state is not.
            try DNSHelper.stop(pidFile: store.paths.run + "/networks/\(net.id.prefix(12))/dns.pid", records: store.recordsPath(net.id))
            try LinkControl(try NetlinkSocket()).delete(net.bridge)
            let c = try NetnsContainer(t)
            let a = try attach(t, store, c, id: "c", name: "\(t.prefix)-c-1", network: net.name, aliases: ["svc"])
            let bridge = try #require(try LinkControl(try NetlinkSocket()).link(named: net.bridge))
            #expect(bridge.up && bridge.mac?.description.hasPrefix("02:42:") == true)
            #expect(try nslookup(c, "svc", server: net.plan.gateway) == [a.ipv4.description])
        }
    }

    @Test func secondNetworkAndIPv6() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let n1 = try network(t, store, "\(t.prefix)_one")
            let n2 = try network(t, store, "\(t.prefix)_two", NetworkOptions(ipam: IPAMRequest(enableIPv6: true)))
            let c1 = try NetnsContainer(t), c2 = try NetnsContainer(t)
            _ = try attach(t, store, c1, id: "c1", name: "\(t.prefix)-c1-1", network: n1.name)
            let a1b = try NetworkAttacher(store: store).attach(AttachRequest(
                containerID: "c1", containerName: "\(t.prefix)-c1-1", network: n2.name, namespace: .pid(c1.pid), interface: "eth1"))
            t.defer_("detach c1 from two") { try NetworkAttacher(store: store).detach(containerID: "c1", network: n2.name) }
            let a2 = try attach(t, store, c2, id: "c2", name: "\(t.prefix)-c2-1", network: n2.name)
            #expect(a1b.interface == "eth1" && a1b.ipv6 != nil && a2.ipv6 != nil)
            // The first network keeps the default route.
            let routes = try c1.run(["/usr/sbin/ip", "route", "show", "default"]).stdout
            #expect(routes.contains("via \(n1.plan.gateway) dev eth0"))
            // c1 reaches c2 over the shared second network, by IPv4 and IPv6.
            try serveHTTP(t, c2, text: "two")
            #expect(try fetch(in: c1, "\(a2.ipv4)") == "two")
            let v6 = try #require(a2.ipv6)
            let addrs = try c2.run(["/usr/sbin/ip", "-6", "addr", "show", "dev", "eth0"]).stdout
            #expect(addrs.contains("\(v6)/64"))
            let ping = try c1.run([Self.busybox, "ping", "-6", "-c", "1", "-W", "2", v6.description], timeout: 5)
            #expect(ping.status == 0, "\(ping.stdout) \(ping.stderr)")
        }
    }

    @Test func bridgesAreDeletedInTheBackgroundOrHereWithoutTheHelper() async throws {
        try await withTestRoot { t in
            let control = LinkControl(try NetlinkSocket())
            let helper = try #require(LinkDeleter.defaultHelperPath(), "berth-linkdel is built beside the tests")
            let prepared = LinkDeleter(helper: helper)
            prepared.prepare()
            for (index, deleter) in [LinkDeleter(helper: helper), prepared, LinkDeleter(helper: nil),
                                     LinkDeleter(helper: "/nonexistent/berth-linkdel")].enumerated() {
                let name = "brt-ld\(t.prefix.suffix(4))\(index)"
                try control.createBridge(name, mtu: 1500, mac: MACAddress(bytes: [0x02, 0x42, 0, 0, 0, UInt8(index)]))
                t.defer_("delete \(name)") { _ = try LinkControl(try NetlinkSocket()).deleteIfPresent(name) }
                // Gone from the namespace when delete returns, whichever way it went.
                try deleter.delete([name, "brt-not-there"])
                #expect(try control.link(named: name) == nil, "\(name) with helper \(String(describing: deleter.helper))")
            }
            // A helper prepared and never used ends when its deleter goes.
            do {
                let unused = LinkDeleter(helper: helper)
                unused.prepare()
            }
            let gone = Host.eventually(3) {
                (try? runProcess(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", "berth-linkdel"], timeout: 5))?.status == 1
            }
            #expect(gone, "no berth-linkdel left running")
        }
    }

    @Test func concurrentAttachesGetDistinctAddressesAndAFailedOneLeavesNothing() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let net = try network(t, store, "\(t.prefix)_par")
            let containers = try (0..<5).map { _ in try NetnsContainer(t) }
            // The kernel side of each attach runs outside the store's lock, beside the others.
            let attachments = try await withThrowingTaskGroup(of: Networking.Attachment.self) { group in
                for (i, c) in containers.enumerated() {
                    group.addTask { try self.attach(t, store, c, id: "p\(i)", name: "\(t.prefix)-p-\(i)", network: net.name) }
                }
                var all: [Networking.Attachment] = []
                for try await a in group { all.append(a) }
                return all
            }
            #expect(Set(attachments.map(\.ipv4)).count == 5)
            #expect(try store.inspect(net.name).endpoints.count == 5)
            for (i, c) in containers.enumerated() {
                let a = try #require(attachments.first { $0.hostInterface == NetworkAttacher.hostInterfaceName(containerID: "p\(i)", networkID: net.id) })
                #expect(try c.run([Self.busybox, "ip", "-4", "-o", "addr", "show", "eth0"]).stdout.contains(" \(a.ipv4)/"))
                #expect(try c.run([Self.busybox, "ping", "-c", "1", "-W", "2", net.plan.gateway.description]).status == 0)
            }

            // A namespace that is not there: the kernel part fails after the
            // endpoint was recorded; the record, DNS names and links are as before.
            let records = try String(contentsOfFile: store.recordsPath(net.id), encoding: .utf8)
            #expect(throws: SystemError.self) {
                try NetworkAttacher(store: store).attach(AttachRequest(
                    containerID: "ghost", containerName: "\(t.prefix)-ghost-1", network: net.name,
                    namespace: .path(t.directory.appendingPathComponent("no-such-netns").path)))
            }
            #expect(try store.inspect(net.name).endpoints["ghost"] == nil)
            #expect(try String(contentsOfFile: store.recordsPath(net.id), encoding: .utf8) == records)
            let ghostLink = NetworkAttacher.hostInterfaceName(containerID: "ghost", networkID: net.id)
            #expect(try LinkControl(try NetlinkSocket()).link(named: ghostLink) == nil)

            // Endpoint saves exchange the record with its previous version
            // (`.<id>.spare`): the removal takes that too.
            let directory = store.paths.root + "/networks"
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).contains(".\(net.id).spare"))
            for i in 0..<5 { try NetworkAttacher(store: store).detach(containerID: "p\(i)", network: net.name) }
            try store.remove(net.name)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(net.id) } == [])
        }
    }

    // MARK: service discovery

    @Test func containersReachEachOtherByIPAndName() async throws {
        try await withTestRoot { t in
            let upstream = try UDPProbe.FakeUpstream(answer: [10, 9, 9, 9])
            t.defer_("stop fake upstream") { upstream.stop() }
            let store = t.networkStore(upstreams: ["127.0.0.1:\(upstream.port)"])
            let net = try network(t, store, "\(t.prefix)_default")
            let web1 = try NetnsContainer(t), web2 = try NetnsContainer(t), client = try NetnsContainer(t)
            let a1 = try attach(t, store, web1, id: "w1", name: "\(t.prefix)-web-1", network: net.name, aliases: ["web", "frontend"])
            let a2 = try attach(t, store, web2, id: "w2", name: "\(t.prefix)-web-2", network: net.name, aliases: ["web"])
            let ac = try attach(t, store, client, id: "c1", name: "\(t.prefix)-client-1", network: net.name, aliases: ["client"])
            #expect(a1.interface == "eth0" && a1.gateway == net.plan.gateway && ac.ipv4 != a1.ipv4)
            #expect(a1.mac == MACAddress.derived(from: a1.ipv4))

            try serveHTTP(t, web1, text: "hello from web-1")
            // By IP.
            #expect(try fetch(in: client, "\(a1.ipv4)") == "hello from web-1")
            // By name through the DNS helper: service, alias, container name, replicas.
            #expect(try nslookup(client, "frontend", server: net.plan.gateway) == [a1.ipv4.description])
            #expect(try nslookup(client, "\(t.prefix)-web-2", server: net.plan.gateway) == [a2.ipv4.description])
            let replicas = try nslookup(client, "web", server: net.plan.gateway)
            #expect(Set(replicas) == [a1.ipv4.description, a2.ipv4.description])
            // Round-robin: the order rotates between queries.
            let again = try nslookup(client, "web", server: net.plan.gateway)
            #expect(replicas != again)
            // TCP by the name's address.
            let frontend = try #require(try nslookup(client, "frontend", server: net.plan.gateway).first)
            #expect(try fetch(in: client, "\(frontend)") == "hello from web-1")
            // Other names go to the upstream (a fake one on 127.0.0.1).
            #expect(try nslookup(client, "outside.example", server: net.plan.gateway) == ["10.9.9.9"])
            // The generated resolv.conf points at the helper.
            #expect(ResolvConf.resolvConf(for: net).contains("nameserver \(net.plan.gateway)\n"))

            // Recreate web-1: the name now resolves to the new address.
            try NetworkAttacher(store: store).detach(containerID: "w1", network: net.name)
            let web1b = try NetnsContainer(t)
            let b1 = try attach(t, store, web1b, id: "w1b", name: "\(t.prefix)-web-1", network: net.name,
                                aliases: ["web", "frontend"], ip: IPv4Address(net.plan.subnet.network.value + 77))
            #expect(b1.ipv4 != a1.ipv4)
            #expect(try nslookup(client, "frontend", server: net.plan.gateway) == [b1.ipv4.description])
            #expect(Set(try nslookup(client, "web", server: net.plan.gateway)) == [b1.ipv4.description, a2.ipv4.description])
            // The old veth is gone with the detach.
            #expect(try LinkControl(try NetlinkSocket()).link(named: a1.hostInterface) == nil)
        }
    }

    // MARK: published ports

    @Test func publishedPortsFromLoopbackAndBridgeAddressTCPAndUDP() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let net = try network(t, store, "\(t.prefix)_default")
            let web = try NetnsContainer(t)
            let a = try attach(t, store, web, id: "web1", name: "\(t.prefix)-web-1", network: net.name)
            try serveHTTP(t, web, text: "published")
            try serveHTTP(t, web, text: "loopback only", port: 81)
            // A DNS helper inside the container is our UDP server on :53.
            let records = t.directory.appendingPathComponent("udp.records")
            try Data("probe 10.1.2.3\n".utf8).write(to: records)
            _ = try web.start(t, [Repository.dnsHelperExecutable.path, a.ipv4.description, records.path])

            let publisher = PortPublisher(store: store)
            let p1 = try HostListener.freePort()
            let bindings = try publisher.preflight([
                try PortRequest.parse("\(p1):80"),           // every host address
                try PortRequest.parse("127.0.0.1::81"),      // loopback only, ephemeral
                try PortRequest.parse("\(p1):53/udp"),
            ])
            #expect(bindings.count == 3 && bindings[1].hostPort != 0 && bindings[1].hostIP == .loopbackIPv4)
            try publisher.publish(containerID: "web1", network: net.name, bindings: bindings)
            #expect(try publisher.ports(containerID: "web1") == bindings)

            #expect(try fetchFromHost("127.0.0.1", p1) == "published")
            #expect(try fetchFromHost("\(net.plan.gateway)", p1) == "published")
            // TCP to 127.0.0.1 is redirected at connect(): the socket is the
            // container's peer directly (its own address is the gateway's)
            // and still reports 127.0.0.1:port as its peer.
            let redirect = SocketRedirect(table: store.tableName)
            #expect(Set(try redirect.currentEntries()) == [
                RedirectEntry(frontend: IPv4Address(127, 0, 0, 1), frontendPort: p1, backend: a.ipv4, backendPort: 80),
                RedirectEntry(frontend: IPv4Address(0, 0, 0, 0), frontendPort: p1, backend: a.ipv4, backendPort: 80),
                RedirectEntry(frontend: IPv4Address(127, 0, 0, 1), frontendPort: bindings[1].hostPort, backend: a.ipv4, backendPort: 81),
            ])
            #expect(SocketRedirect.attachedProgramNames().filter { $0.hasSuffix(redirect.connectName.dropFirst(5)) }
                == [redirect.connectName, redirect.getpeernameName].sorted())
            let direct = "\(a.ipv4):80"
            let ends = try Self.connectedEnds("127.0.0.1", p1)
            #expect(ends.peer == "127.0.0.1:\(p1)" && ends.kernelPeer == direct)
            #expect(ends.local.hasPrefix("\(net.plan.gateway):") && ends.reply.hasSuffix("published"))
            // A socket bound to 127.0.0.1 keeps it, through the NAT path.
            let bound = try Self.connectedEnds("127.0.0.1", p1, from: "127.0.0.1")
            #expect(bound.peer == "127.0.0.1:\(p1)" && bound.local.hasPrefix("127.0.0.1:") && bound.kernelPeer == "127.0.0.1:\(p1)")
            #expect(bound.reply.hasPrefix("HTTP/1.") && bound.reply.hasSuffix("published"))
            // Another 127/8 address: redirected as well, from the gateway's
            // address (kernel NAT serves only 127.0.0.1).
            let other127 = try Self.connectedEnds("127.0.0.3", p1)
            #expect(other127.peer == "127.0.0.3:\(p1)" && other127.kernelPeer == direct)
            #expect(other127.local.hasPrefix("\(net.plan.gateway):") && other127.reply.hasSuffix("published"))
            // The host's other addresses (the bridge's gateway, eth0's) are
            // redirected too, from the address asked for; the loopback-only
            // port is not reachable on them.
            let hostAddress = try Host.run("/usr/sbin/ip", ["-4", "-o", "addr", "show", "scope", "global"]).stdout
                .split(separator: "\n").map { $0.split(separator: " ") }
                .first { $0.count > 3 && !$0[1].hasPrefix("brt") }
                .map { String($0[3].split(separator: "/")[0]) }
            for address in [net.plan.gateway.description] + (hostAddress.map { [$0] } ?? []) {
                let e = try Self.connectedEnds(address, p1)
                #expect(e.peer == "\(address):\(p1)" && e.kernelPeer == direct, "\(address)")
                #expect(e.local.hasPrefix("\(address):") && e.reply.hasSuffix("published"), "\(address)")
                #expect(try fetchFromHost(address, bindings[1].hostPort) == nil)
            }
            // An address that is not the host's, with the published port:
            // not redirected (the connect goes where it was sent: nowhere).
            let stranger = try NetnsContainer(t)
            let strangerAddress = try attach(t, store, stranger, id: "st", name: "\(t.prefix)-st-1", network: net.name).ipv4
            #expect(try fetchFromHost(strangerAddress.description, p1) == nil)
            #expect(try fetchFromHost("127.0.0.1", bindings[1].hostPort) == "loopback only")
            // Loopback-only binding is not reachable on the bridge address.
            #expect(try fetchFromHost("\(net.plan.gateway)", bindings[1].hostPort) == nil)
            // UDP through the published port, round trip.
            #expect(Host.eventually { (try? UDPProbe.queryA("probe", server: "127.0.0.1", port: p1)) == ["10.1.2.3"] })
            #expect(try UDPProbe.queryA("probe", server: net.plan.gateway.description, port: p1) == ["10.1.2.3"])

            // A second network's container reaches the port through the host, as any client could.
            let other = try network(t, store, "\(t.prefix)_other")
            let client = try NetnsContainer(t)
            _ = try attach(t, store, client, id: "cl", name: "\(t.prefix)-cl-1", network: other.name)
            #expect(try fetch(in: client, "\(other.plan.gateway)", p1) == "published")
            // …but not the container directly, nor through its own 127.0.0.1.
            #expect(try fetch(in: client, "\(a.ipv4)") == nil)
            #expect(try fetch(in: client, "127.0.0.1", p1) == nil)

            // One container port on 127.0.0.1 through two host ports is refused.
            #expect(throws: NetworkError.self) {
                try publisher.preflight([try PortRequest.parse("127.0.0.1::80"), try PortRequest.parse("127.0.0.1::80")])
            }

            try publisher.unpublish(containerID: "web1")
            #expect(try fetchFromHost("127.0.0.1", p1) == nil)
            // The last published port takes the programs with it.
            #expect(try redirect.currentEntries().isEmpty)
            #expect(!SocketRedirect.attachedProgramNames().contains(redirect.connectName))
        }
    }

    /// A pair left by an earlier berth (the loopback-only programs, under
    /// their former names) is replaced by the current one at the next
    /// change, which then goes with the last entry.
    @Test func aFormerRedirectPairIsReplaced() async throws {
        try await withTestRoot { t in
            let redirect = SocketRedirect(table: t.networkStore().tableName)
            let suffix = redirect.connectName.dropFirst(5)
            let formerNames = ["brt4c" + suffix, "brt4g" + suffix]
            let cgroup = try #require(SocketRedirect.openCgroup2Root())
            defer { close(cgroup) }
            var allow = BPFAssembler()
            allow.move(.r0, 1)
            allow.exit()
            var former: [(fd: Int32, type: BPFKernel.AttachType)] = []
            defer { for p in former { BPFKernel.detach(program: p.fd, cgroup: cgroup, p.type); close(p.fd) } }
            for (name, type) in zip(formerNames, [BPFKernel.AttachType.connect4, .getpeername4]) {
                let fd = try BPFKernel.load(try allow.assemble(), for: type, name: name, license: "GPL", name)
                former.append((fd, type))
                try BPFKernel.attach(program: fd, cgroup: cgroup, type, name)
            }
            #expect(Set(SocketRedirect.attachedProgramNames()).isSuperset(of: formerNames))

            let entry = RedirectEntry(frontend: IPv4Address(127, 0, 0, 1), frontendPort: try HostListener.freePort(),
                                      backend: IPv4Address(10, 255, 255, 1), backendPort: 80)
            #expect(redirect.apply([entry]) == nil)
            let names = SocketRedirect.attachedProgramNames().filter { $0.hasSuffix(suffix) }
            #expect(names == [redirect.connectName, redirect.getpeernameName].sorted())
            #expect(try redirect.currentEntries() == [entry])
            #expect(redirect.apply([]) == nil)
            #expect(SocketRedirect.attachedProgramNames().filter { $0.hasSuffix(suffix) }.isEmpty)
        }
    }

    /// Connects a TCP socket from this process (bound to `source` first if
    /// given) and returns both ends' addresses as the socket reports them
    /// (getsockname, getpeername) and the reply to an HTTP GET.
    /// `kernelPeer` is where the socket is really connected, as the kernel's
    /// TCP table shows it (no getpeername program in between).
    static func connectedEnds(_ ip: String, _ port: UInt16, from source: String? = nil) throws
        -> (local: String, peer: String, kernelPeer: String?, reply: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 4, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var from = try #require(IPv4Address(source)).socketAddress(port: 0)
            let rc = withUnsafePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(rc == 0, "bind to \(source): errno \(errno)")
        }
        var to = try #require(IPv4Address(ip)).socketAddress(port: port)
        let rc = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0, "connect to \(ip):\(port): errno \(errno)")
        func name(_ get: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> String {
            var a = sockaddr_in()
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { get(fd, $0, &size) } }
            return "\(IPv4Address(UInt32(bigEndian: a.sin_addr.s_addr))):\(UInt16(bigEndian: a.sin_port))"
        }
        let local = name { getsockname($0, $1, $2) }
        let kernelPeer = try Self.tcpTablePeer(local: local)
        let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        try #require(write(fd, request, request.count) == request.count)
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            reply += buffer[..<n]
        }
        return (local, name { getpeername($0, $1, $2) }, kernelPeer, String(decoding: reply, as: UTF8.self))
    }

    /// The remote end of the TCP socket whose local end is `local`
    /// ("a.b.c.d:port"), from /proc/net/tcp (addresses as the kernel's
    /// u32 in hex, ports in hex).
    static func tcpTablePeer(local: String) throws -> String? {
        func decode(_ field: Substring) -> String? {
            let parts = field.split(separator: ":")
            guard parts.count == 2, let a = UInt32(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16) else { return nil }
            return "\(a & 0xff).\(a >> 8 & 0xff).\(a >> 16 & 0xff).\(a >> 24):\(p)"
        }
        for line in try Sys.readFile("/proc/net/tcp").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > 2, decode(fields[1]) == local { return decode(fields[2]) }
        }
        return nil
    }

    @Test func portConflictIsReportedBeforeAnythingIsCreated() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let port = try HostListener.freePort()
            let listener = try HostListener(ip: "127.0.0.1", port: port)
            let before = try Host.ruleset()
            let publisher = PortPublisher(store: store)
            do {
                _ = try publisher.preflight([try PortRequest.parse("\(port):80")])
                Issue.record("expected a conflict on port \(port)")
            } catch let e as NetworkError {
                #expect(e.message.contains("0.0.0.0:\(port)"))
                #expect(e.message.contains("already in use on the host"))
            }
            #expect(try store.list().isEmpty)
            #expect(try Host.ruleset() == before)
            _ = listener

            // Two berth containers asking for the same port.
            let net = try network(t, store, "\(t.prefix)_default")
            let c = try NetnsContainer(t)
            _ = try attach(t, store, c, id: "a", name: "\(t.prefix)-a-1", network: net.name)
            let free = try HostListener.freePort()
            try publisher.publish(containerID: "a", network: net.name, bindings: try publisher.preflight([try PortRequest.parse("\(free):80")]))
            #expect(throws: NetworkError("Bind for 127.0.0.1:\(free) failed: port is already allocated (berth publishes 0.0.0.0:\(free)->80/tcp)")) {
                try publisher.preflight([try PortRequest.parse("127.0.0.1:\(free):81")])
            }
        }
    }

    // MARK: isolation, internal, outbound

    /// An "outside world" for forwarding tests: a namespace behind a test-owned
    /// veth on 198.18.<x>.0/30 (benchmarking range), serving HTTP.
    func outside(_ t: TestRoot) throws -> (NetnsContainer, String) {
        let ns = try NetnsContainer(t)
        let hostEnd = t.prefix  // bt + 8 hex: ≤ 15 chars, test-owned
        let third = Int(UInt8.random(in: 1...250))
        let r = try Host.run("/usr/sbin/ip", ["link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", "\(ns.pid)"])
        #expect(r.status == 0, "\(r.stderr)")
        t.defer_("delete \(hostEnd)") { _ = try Host.run("/usr/sbin/ip", ["link", "del", hostEnd]) }
        _ = try Host.run("/usr/sbin/ip", ["addr", "add", "198.18.\(third).1/30", "dev", hostEnd])
        _ = try Host.run("/usr/sbin/ip", ["link", "set", hostEnd, "up"])
        try ns.run(["/usr/sbin/ip", "addr", "add", "198.18.\(third).2/30", "dev", "eth0"])
        try ns.run(["/usr/sbin/ip", "link", "set", "eth0", "up"])
        try ns.run(["/usr/sbin/ip", "link", "set", "lo", "up"])
        try serveHTTP(t, ns, text: "outside")
        return (ns, "198.18.\(third).2")
    }

    /// berth updates its table in place (flush, then the new rules); a table
    /// not in the shape berth left it in (a base chain changed by hand) is
    /// replaced whole at the next change, and the last removal deletes it.
    @Test func aTableChangedByHandIsReplacedWhole() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let a = try network(t, store, "\(t.prefix)_a")
            let table = store.tableName
            try NFTables.run("""
                flush chain inet \(table) forward
                delete chain inet \(table) forward
                add chain inet \(table) forward { type filter hook forward priority 10; policy accept; }
                """)
            #expect(try Host.ruleset().contains("type filter hook forward priority filter + 10; policy accept;"))
            let b = try network(t, store, "\(t.prefix)_b")
            let rules = try Host.ruleset()
            #expect(rules.contains("type filter hook forward priority filter; policy accept;"))
            #expect(!rules.contains("priority filter + 10"))
            for n in [a, b] { #expect(rules.contains("oifname \"\(n.bridge)\" drop")) }
            // In place: the second network's removal keeps the table and the first's rules.
            try store.remove(b.name)
            let after = try Host.ruleset()
            #expect(after.contains("oifname \"\(a.bridge)\" drop"))
            #expect(!after.contains(b.bridge))
            try store.remove(a.name)
            #expect(!(try Host.ruleset()).contains("table inet \(table)"))
        }
    }

    @Test func networksAreIsolatedAndInternalHasNoWayOut() async throws {
        try await withTestRoot { t in
            let store = t.networkStore()
            let (_, outsideIP) = try outside(t)
            let n1 = try network(t, store, "\(t.prefix)_one")
            let n2 = try network(t, store, "\(t.prefix)_two")
            let n3 = try network(t, store, "\(t.prefix)_internal", NetworkOptions(isInternal: true))
            let c1 = try NetnsContainer(t), c2 = try NetnsContainer(t), c3 = try NetnsContainer(t)
            _ = try attach(t, store, c1, id: "c1", name: "\(t.prefix)-c1-1", network: n1.name)
            let a2 = try attach(t, store, c2, id: "c2", name: "\(t.prefix)-c2-1", network: n2.name)
            _ = try attach(t, store, c3, id: "c3", name: "\(t.prefix)-c3-1", network: n3.name)
            try serveHTTP(t, c2, text: "two")

            // Outbound through masquerade works for a normal network.
            #expect(try fetch(in: c1, "\(outsideIP)") == "outside")
            // Projects are isolated.
            #expect(try fetch(in: c1, "\(a2.ipv4)") == nil)
            // Internal: no default route, no masquerade, no way out.
            let routes = try c3.run(["/usr/sbin/ip", "route"]).stdout
            #expect(!routes.contains("default"))
            #expect(try fetch(in: c3, "\(outsideIP)") == nil)
            #expect(try fetch(in: c3, "\(a2.ipv4)") == nil)
            let rules = try Host.ruleset()
            #expect(rules.contains("ip saddr \(n1.plan.subnet) oifname != \"\(n1.bridge)\" masquerade"))
            #expect(!rules.contains("ip saddr \(n3.plan.subnet) oifname != \"\(n3.bridge)\" masquerade"))
        }
    }

    /// Docker sets FORWARD's policy to drop. A test-owned table with a
    /// drop-policy forward chain plays Docker's part: berth inserts its
    /// tagged accept rules there, forwards, and removes them with its last network.
    @Test func forwardsDespiteAForeignDropPolicy() async throws {
        try await withTestRoot { t in
            let table = "\(t.prefix)"
            try NFTables.run("""
                table inet \(table) {
                    chain DOCKER-USER {
                    }
                    chain FORWARD {
                        type filter hook forward priority filter; policy drop;
                        jump DOCKER-USER
                    }
                }
                """)
            t.defer_("delete table \(table)") { try NFTables.run("delete table inet \(table)") }
            let (_, outsideIP) = try outside(t)
            // Without berth's rules the drop policy blocks forwarding (sanity check of the setup).
            let probe = try NetnsContainer(t)
            let store = t.networkStore()
            let net = try network(t, store, "\(t.prefix)_default")
            _ = try attach(t, store, probe, id: "p", name: "\(t.prefix)-p-1", network: net.name)
            let rules = try Host.ruleset()
            #expect(rules.contains("comment \"berth-compat:\(store.tableName)\""))
            #expect(try fetch(in: probe, "\(outsideIP)") == "outside")
            // Drop berth's compat rules: the same request now fails.
            for r in try NFTables.foreignState().taggedRules where r.table == table {
                try NFTables.run("delete rule \(r.family) \(r.table) \(r.chain) handle \(r.handle)")
            }
            #expect(try fetch(in: probe, "\(outsideIP)") == nil)
            // Any change re-applies them.
            try PortPublisher(store: store).publish(containerID: "p", network: net.name, bindings: [])
            #expect(try fetch(in: probe, "\(outsideIP)") == "outside")

            try NetworkAttacher(store: store).detach(containerID: "p", network: net.name)
            try store.remove(net.name)
            #expect(!(try Host.ruleset()).contains("berth-compat"))
        }
    }
}
