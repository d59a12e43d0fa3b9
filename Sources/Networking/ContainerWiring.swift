// Networking owns a project's private bridge networks: IPAM (pure), link,
// address and route setup through rtnetlink (Netlink/), packet filtering and
// NAT in berth's own nftables table (NFTables/), starting and stopping the
// per-network DNS helper (DNS/; its code is the DNSResponder module) and
// published ports (PortPublisher).
// It never runs `ip`/`iptables`/`nft` commands, never flushes or rewrites
// another owner's nftables table (it only inserts comment-tagged accept
// rules where a foreign forward chain drops by policy, and removes them
// again), never enables route_localnet, and never sends traffic anywhere but
// the bridges and namespaces it was asked to wire.

import Foundation
import IPAddress

/// One network a container joins, as `berth run --network` or a compose
/// service's `networks:` entry asks for it.
public struct NetworkJoin: Hashable, Sendable {
    /// Network name or id.
    public var network: String
    /// DNS names besides the container name (`--network-alias`, compose
    /// `aliases`, the service name).
    public var aliases: [String]
    public var ipv4Address: IPv4Address?
    public var macAddress: MACAddress?

    public init(network: String, aliases: [String] = [], ipv4Address: IPv4Address? = nil, macAddress: MACAddress? = nil) {
        self.network = network
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.macAddress = macAddress
    }
}

/// Everything a container's own network namespace needs from berth.
public struct WiringRequest: Sendable {
    public var containerID: String
    public var containerName: String
    public var hostname: String
    /// Where the namespace is pinned (`<run>/netns/<id>`); created here.
    public var namespacePath: String
    /// In order: the first is `eth0`, gets the default route, the published
    /// ports and the hostname's line in /etc/hosts. Empty: `--network none`.
    public var networks: [NetworkJoin]
    public var ports: [PortRequest]
    public var dns: [String]
    public var dnsSearch: [String]
    public var dnsOptions: [String]
    /// `--add-host`/`extra_hosts`; `host-gateway` is replaced by the first
    /// network's gateway.
    public var extraHosts: [(name: String, address: String)]

    public init(containerID: String, containerName: String, hostname: String, namespacePath: String,
                networks: [NetworkJoin], ports: [PortRequest] = [], dns: [String] = [], dnsSearch: [String] = [],
                dnsOptions: [String] = [], extraHosts: [(name: String, address: String)] = []) {
        self.containerID = containerID
        self.containerName = containerName
        self.hostname = hostname
        self.namespacePath = namespacePath
        self.networks = networks
        self.ports = ports
        self.dns = dns
        self.dnsSearch = dnsSearch
        self.dnsOptions = dnsOptions
        self.extraHosts = extraHosts
    }
}

/// Wires a container with its own network namespace, the one path shared
/// by `berth run` and compose: pins the namespace, attaches the networks,
/// publishes ports, and returns the /etc files for it. On failure nothing
/// of the wiring remains.
public struct ContainerWiring: Sendable {
    public let store: NetworkStore

    public init(store: NetworkStore) { self.store = store }

    public func wire(_ request: WiringRequest) throws -> NetworkEtcFiles {
        // Attaching brings lo up; only a namespace without networks needs it here.
        var inside: NetlinkSocket?
        if request.networks.isEmpty {
            try NetworkNamespaceFile.create(at: request.namespacePath)
        } else {
            inside = try NetworkNamespaceFile.createOpeningSocket(at: request.namespacePath)
        }
        do {
            return try attachAll(request, inside: inside)
        } catch {
            _ = try? NetworkAttacher(store: store).release(containerID: request.containerID,
                                                           namespaceFile: request.namespacePath)
            throw error
        }
    }

    private func attachAll(_ request: WiringRequest, inside: NetlinkSocket?) throws -> NetworkEtcFiles {
        let attacher = NetworkAttacher(store: store)
        var first: (record: NetworkRecord, attachment: Attachment)?
        for (index, join) in request.networks.enumerated() {
            // The socket made with the namespace serves its first interface.
            let attached = try attacher.attach(AttachRequest(
                containerID: request.containerID, containerName: request.containerName, network: join.network,
                namespace: .path(request.namespacePath), aliases: join.aliases, ipv4Address: join.ipv4Address,
                macAddress: join.macAddress, interface: "eth\(index)"), inside: index == 0 ? inside : nil)
            if first == nil { first = attached }
        }
        if let first, !request.ports.isEmpty {
            let publisher = PortPublisher(store: store)
            let bindings = try publisher.preflight(request.ports, ipv6: first.record.plan.subnet6 != nil)
            try publisher.publish(containerID: request.containerID, network: first.record.name, bindings: bindings)
        }
        let gateway = first.map { ResolvConf.hostGateway(for: $0.record).description }
        let extra = request.extraHosts.map { e in
            (name: e.name, address: e.address == "host-gateway" ? (gateway ?? "127.0.0.1") : e.address)
        }
        var addresses: [String] = []
        if let a = first?.attachment {
            addresses.append(a.ipv4.description)
            if let v6 = a.ipv6 { addresses.append(v6.description) }
        }
        let names = request.containerName.isEmpty || request.containerName == request.hostname ? [] : [request.containerName]
        let hosts = NetworkEtcFiles.hosts(hostname: request.hostname, names: names, addresses: addresses, extraHosts: extra)
        let resolv: String
        if let first, !first.record.isPredefined {
            // User-defined networks: berth's DNS helper on the gateway, as
            // Docker's embedded DNS.
            resolv = ResolvConf.resolvConf(for: first.record, dns: request.dns, search: request.dnsSearch,
                                           options: request.dnsOptions)
        } else {
            resolv = NetworkEtcFiles.resolvConf(host: NetworkEtcFiles.hostResolvConf(), dns: request.dns, search: request.dnsSearch,
                                         options: request.dnsOptions)
        }
        return NetworkEtcFiles(hosts: hosts, hostname: request.hostname, resolvConf: resolv)
    }
}
