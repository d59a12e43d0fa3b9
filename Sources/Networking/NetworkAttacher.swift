import Diagnostics
import Foundation
import IPAddress
#if canImport(Glibc)
import Glibc
#endif

/// Where a container's network namespace is.
public enum NamespaceRef: Hashable, Sendable {
    /// The namespace of a running process (`/proc/<pid>/ns/net`).
    case pid(Int32)
    /// A namespace file (a bind mount of `/proc/<pid>/ns/net`).
    case path(String)

    public var path: String {
        switch self {
        case .pid(let p): "/proc/\(p)/ns/net"
        case .path(let p): p
        }
    }
}

/// What the caller asks for when attaching a container to a network.
public struct AttachRequest: Hashable, Sendable {
    public var containerID: String
    /// `<project>-<service>-<n>`; resolves over DNS.
    public var containerName: String
    /// Network name or id.
    public var network: String
    public var namespace: NamespaceRef
    /// More DNS names: the service name, compose `aliases`, `<svc>-<n>`.
    public var aliases: [String]
    /// Static `ipv4_address`.
    public var ipv4Address: IPv4Address?
    /// Static `mac_address`.
    public var macAddress: MACAddress?
    /// `eth0` for the first network, `eth1` for the second…
    public var interface: String

    public init(containerID: String, containerName: String, network: String, namespace: NamespaceRef,
                aliases: [String] = [], ipv4Address: IPv4Address? = nil, macAddress: MACAddress? = nil,
                interface: String = "eth0") {
        self.containerID = containerID
        self.containerName = containerName
        self.network = network
        self.namespace = namespace
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.macAddress = macAddress
        self.interface = interface
    }
}

/// The result of an attach: what the container got.
public struct Attachment: Hashable, Sendable {
    public var network: String
    public var ipv4: IPv4Address
    public var prefix: Int
    public var gateway: IPv4Address
    public var ipv6: IPv6Address?
    public var mac: MACAddress
    public var interface: String
    public var hostInterface: String
}

/// Wires containers into networks: veth pair with the host end on the
/// bridge and the peer created directly inside the container's namespace
/// under its final name, then address, lo, default route — all by netlink.
public struct NetworkAttacher: Sendable {
    public let store: NetworkStore

    public init(store: NetworkStore) { self.store = store }

    /// Attaches a container; on failure nothing of the attach remains.
    /// The store's lock covers the bookkeeping only — the address is taken
    /// and the endpoint recorded (with its DNS names) under it — while the
    /// kernel work (veth pair, addresses, routes) runs outside it, beside
    /// the other containers' attaches of a parallel `up`. A failure there
    /// gives the endpoint back. A network with an endpoint is never torn
    /// down or made dormant, so the bridge stays while the veth is made.
    public func attach(_ request: AttachRequest) throws -> Attachment {
        try attach(request, inside: nil).attachment
    }

    /// `attach`, also returning the network's record as the attach left it.
    /// `inside`: a netlink socket in a namespace just made for this
    /// container (`NetworkNamespaceFile.createOpeningSocket`), whose first
    /// interface this is: used instead of opening one, and the namespace
    /// is known to hold nothing but a down `lo`.
    func attach(_ request: AttachRequest, inside: NetlinkSocket?) throws -> (record: NetworkRecord, attachment: Attachment) {
        let (net, bridgeIndex, endpoint) = try store.withLock {
            // The bridge's index as ensureUp found it: the bridge stays while the endpoint exists.
            let (up, bridgeIndex) = try store.ensureUpLocked(try store.inspect(request.network))
            var net = up
            if net.endpoints[request.containerID] != nil {
                throw NetworkError("container \(request.containerName) is already attached to network \(net.name)")
            }
            let used = Set(net.endpoints.values.map(\.ipv4))
            let ip = try IPAM.allocate(in: net.plan, used: used, requested: request.ipv4Address)
            let endpoint = Endpoint(
                containerID: request.containerID, containerName: request.containerName, interface: request.interface,
                hostInterface: NetworkAttacher.hostInterfaceName(containerID: request.containerID, networkID: net.id),
                ipv4: ip, ipv6: IPAM.address6(in: net.plan, for: ip),
                mac: request.macAddress ?? MACAddress.derived(from: ip), aliases: request.aliases, ports: [])
            net.endpoints[request.containerID] = endpoint
            try store.save(net)
            try store.writeRecords(net)
            return (net, bridgeIndex, endpoint)
        }
        do {
            try wire(endpoint, into: net, bridgeIndex: bridgeIndex, namespace: request.namespace, inside: inside)
        } catch {
            _ = try? LinkControl(try NetlinkSocket()).deleteIfPresent(endpoint.hostInterface)
            _ = try? store.withLock {
                var now = try store.inspect(net.id)
                guard now.endpoints[request.containerID] == endpoint else { return }
                now.endpoints[request.containerID] = nil
                try store.save(now)
                try store.writeRecords(now)
            }
            throw error
        }
        return (net, Attachment(network: net.name, ipv4: endpoint.ipv4, prefix: net.plan.subnet.prefix,
                                gateway: net.plan.gateway, ipv6: endpoint.ipv6, mac: endpoint.mac,
                                interface: endpoint.interface, hostInterface: endpoint.hostInterface))
    }

    /// The kernel side of an endpoint: veth pair with the host end on the
    /// bridge and the peer created inside the namespace under its final
    /// name, addresses, lo, default routes.
    ///
    /// The host end is created up (one queue per direction on both ends);
    /// inside, the address(es), the peer and `lo` up and the default
    /// route(s) go to the kernel in one batch (`requestAll`). In a namespace
    /// made for this attach (`inside` given) there is no route yet;
    /// elsewhere the routes are looked at first, since a second network
    /// must not replace the first one's default route.
    private func wire(_ e: Endpoint, into net: NetworkRecord, bridgeIndex: Int32, namespace: NamespaceRef,
                      inside socket: NetlinkSocket?) throws {
        let host = LinkControl(try NetlinkSocket())
        let nsfd = open(namespace.path, O_RDONLY | O_CLOEXEC)
        guard nsfd >= 0 else { throw SystemError.current("open network namespace", namespace.path) }
        defer { close(nsfd) }
        try host.createVeth(e.hostInterface, peer: e.interface, peerNamespace: .fd(nsfd), peerMAC: e.mac,
                            mtu: net.mtu, master: bridgeIndex, up: true, singleQueue: true)
        let fresh = socket != nil
        let inside = LinkControl(try socket ?? NetlinkSocket.open(namespace: namespace.path))
        let index = try inside.index(of: e.interface)
        var batch: [(message: NetlinkMessage, what: String)] = [
            (.newAddress(e.ipv4, prefix: net.plan.subnet.prefix, index: index),
             "add address \(e.ipv4)/\(net.plan.subnet.prefix) to \(e.interface)"),
        ]
        if let ip6 = e.ipv6, let s6 = net.plan.subnet6 {
            batch.append((.newAddress6(ip6, prefix: s6.prefix, index: index), "add address \(ip6)/\(s6.prefix) to \(e.interface)"))
        }
        batch.append((.setLink(index: index, up: true), "set link \(e.interface) up"))
        batch.append((.setLinkUp(name: "lo"), "set link lo up"))
        if !net.isInternal {
            let hasDefault = try !fresh && inside.routes().contains { $0.dstLength == 0 }
            if !hasDefault {
                batch.append((.newDefaultRoute(via: net.plan.gateway, index: index), "add default route via \(net.plan.gateway)"))
            }
            if let g6 = net.plan.gateway6,
               try fresh || !inside.routes(family: RT.afInet6).contains(where: { $0.dstLength == 0 }) {
                batch.append((.newDefaultRoute6(via: g6, index: index), "add default route via \(g6)"))
            }
        }
        try inside.transport.requestAll(batch)
    }

    /// Detaches a container: deletes its veth pair (the peer goes with it),
    /// releases its address, its DNS names and its published ports. Detaching
    /// a container that is not attached does nothing.
    public func detach(containerID: String, network: String) throws {
        _ = try detach(containerID: containerID, network: network, deleteLink: true)
    }

    /// Detaches; with `deleteLink: false` the veth pair is left for the
    /// kernel, which deletes it with the container's network namespace once
    /// that is unpinned (asynchronously, many namespaces in one batch —
    /// much faster than one RTM_DELLINK each when a project goes down).
    /// Returns the host interface left behind, if any.
    public func detach(containerID: String, network: String, deleteLink: Bool, applyRules: Bool = true) throws -> String? {
        try store.withLock {
            var net = try store.inspect(network)
            guard let e = net.endpoints.removeValue(forKey: containerID) else { return nil }
            if !e.ports.isEmpty && !applyRules { store.markRulesPending() }
            // Gone from both namespaces once unlisted (the peer goes with it);
            // the kernel's RCU waits after that are left to berth-linkdel.
            if deleteLink { try LinkDeleter().delete([e.hostInterface]) }
            try store.save(net)
            try store.writeRecords(net)
            if !e.ports.isEmpty && applyRules { try store.applyRules() }
            return deleteLink ? nil : e.hostInterface
        }
    }

    /// Waits until the kernel has deleted `links` (left by lazy detaches),
    /// then deletes whatever is still there after `timeout` seconds.
    public func awaitLinksGone(_ links: [String], timeout: Double = 3) throws {
        try LinkDeleter.awaitGone(links, timeout: timeout)
    }

    /// Everything berth wired for a removed container: its published ports,
    /// its endpoints on every network (veths deleted) and its pinned
    /// namespace file. Safe to repeat; for removals outside compose
    /// (`berth rm` of a compose container). With `lazyLinks` (compose
    /// `down`, which removes the networks next, whose removal applies the
    /// rules once for all) the records change now, the nftables transaction
    /// waits, and the veths are left to the kernel (see `detach`); returns
    /// their names for `awaitLinksGone`.
    ///
    /// `removedNext` picks networks the caller removes next (compose `down`
    /// with the project's own networks): their records are left as they
    /// are, since `NetworkStore.remove(_:droppingEndpoints:)` drops the
    /// endpoints of containers that are gone, and each record write costs
    /// an fsync under the store's lock that every other removal waits for.
    ///
    /// With `awaitLinks: false` (a container whose processes are all gone:
    /// `run --rm` after its monitor reported the exit) the namespace is
    /// unpinned first and its veths are left to the kernel, which deletes
    /// them with the namespace after its RCU grace periods; nothing waits
    /// for that, while the records and the rules change as usual. The
    /// returned names are those veths (nobody needs to wait for them:
    /// `NetworkStore.prune` and `remove` wait for any still on a bridge
    /// they take down).
    @discardableResult
    public func release(containerID: String, namespaceFile: String?, lazyLinks: Bool = false,
                        awaitLinks: Bool = true,
                        removedNext: (NetworkRecord) -> Bool = { _ in false }) throws -> [String] {
        let leaveLinks = lazyLinks || !awaitLinks
        // Lazy: unpinned first, the namespace (and its veth) starts going
        // while the records change, which waits for the store's lock.
        if leaveLinks, let namespaceFile { try NetworkNamespaceFile.remove(at: namespaceFile) }
        if !awaitLinks && !lazyLinks {
            // One pass over the records under the lock: every endpoint
            // of the container out, the rules applied once if it had ports.
            return try store.withLock {
                var left: [String] = []
                var ports = false
                for var net in try store.list() {
                    guard let e = net.endpoints.removeValue(forKey: containerID) else { continue }
                    // Left as it is for the caller's removal (see above).
                    if removedNext(net) { left.append(e.hostInterface); continue }
                    ports = ports || !e.ports.isEmpty
                    try store.save(net)
                    try store.writeRecords(net)
                    left.append(e.hostInterface)
                }
                if ports { try store.applyRules() }
                return left
            }
        }
        let attached = try endpoints(containerID: containerID)
        var left = attached.filter { removedNext($0.network) }.map(\.endpoint.hostInterface)
        let stayingEndpoints = attached.filter { !removedNext($0.network) }
        let staying = Set(stayingEndpoints.map(\.network.name))
        // Only endpoints with published ports have anything to unpublish
        // (each look costs a pass over the records under the store's lock).
        if stayingEndpoints.contains(where: { !$0.endpoint.ports.isEmpty }) {
            try PortPublisher(store: store).unpublish(containerID: containerID, applyRules: !lazyLinks,
                                                      networks: staying)
        }
        for (network, _) in attached where staying.contains(network.name) {
            if let link = try detach(containerID: containerID, network: network.name, deleteLink: !leaveLinks,
                                     applyRules: !lazyLinks) {
                left.append(link)
            }
        }
        if !leaveLinks, let namespaceFile { try NetworkNamespaceFile.remove(at: namespaceFile) }
        return left
    }

    /// The networks a container is attached to, with its endpoint on each.
    public func endpoints(containerID: String) throws -> [(network: NetworkRecord, endpoint: Endpoint)] {
        try store.list().compactMap { n in n.endpoints[containerID].map { (n, $0) } }
    }

    /// `brtv` + 11 hex digits of a hash of container and network: ≤ 15 chars,
    /// stable, and found by berth's leak checks.
    public static func hostInterfaceName(containerID: String, networkID: String) -> String {
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in (containerID + "/" + networkID).utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        let hex = String(h, radix: 16)
        return "brtv" + String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(11))
    }
}
