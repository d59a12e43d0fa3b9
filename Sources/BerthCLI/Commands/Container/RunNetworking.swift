import Diagnostics
import IPAddress
import Networking
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `run --network` and the flags that go with it, Docker's rules:
/// no `--network` joins the default `bridge` network (created on first
/// use; outbound NAT, no DNS by name, the host's resolv.conf); a network
/// name joins that user-defined network (DNS by name and alias through
/// berth's helper); `none` is a namespace with only `lo`; `host` is the
/// host's; `container:NAME` shares NAME's namespace, hostname and /etc
/// files. Every mode but `container:` gets its own /etc/hosts, hostname and
/// resolv.conf, written by `finish` once the container exists.
struct RunNetworking {
    enum Kind: Equatable {
        case none, host, shared
        /// The default bridge or a user-defined network.
        case network(String)
    }

    var kind: Kind
    var mode: NetworkMode
    /// The container's hostname.
    var hostname: String
    var mounts: [MountSpec]

    struct Flags {
        var network: String?
        var hostname: String?
        var macAddress: String?
        var ip: String?
        var aliases: [String] = []
        var publish: [String] = []
        var publishAll = false
        var exposed: [String] = []
        var dns: [String] = []
        var dnsSearch: [String] = []
        var dnsOptions: [String] = []
        var addHosts: [String] = []
    }

    var flags: Flags
    var ports: [PortRequest] = []
    var mac: MACAddress?
    var ip: IPv4Address?
    var extraHosts: [(name: String, address: String)] = []

    static func resolve(_ flags: Flags, id: String, containerDirectory: String, paths: StatePaths,
                        store: ContainerStore) throws -> RunNetworking {
        var mac: MACAddress?
        if let text = flags.macAddress {
            guard let parsed = MACAddress(text.replacingOccurrences(of: "-", with: ":")) else {
                throw UserError("invalid argument \"\(text)\" for \"--mac-address\" flag: invalid MAC address", exitCode: 125)
            }
            mac = parsed
        }
        var ip: IPv4Address?
        if let text = flags.ip {
            guard let parsed = IPv4Address(text) else {
                throw UserError("invalid argument \"\(text)\" for \"--ip\" flag: invalid IP address", exitCode: 125)
            }
            ip = parsed
        }
        var extraHosts: [(name: String, address: String)] = []
        for entry in flags.addHosts {
            // Docker: host:ip, host=ip (and an IPv6 address after the first ':').
            let separator = entry.firstIndex(of: "=") ?? entry.firstIndex(of: ":")
            guard let separator else {
                throw UserError("invalid argument \"\(entry)\" for \"--add-host\" flag: bad format for add-host: \"\(entry)\"", exitCode: 125)
            }
            let name = String(entry[..<separator])
            var address = String(entry[entry.index(after: separator)...])
            if address.hasPrefix("[") && address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
            guard !name.isEmpty, address == "host-gateway" || IPv4Address(address) != nil || IPv6Address(address) != nil else {
                throw UserError("invalid argument \"\(entry)\" for \"--add-host\" flag: invalid IP address in add-host: \"\(address)\"",
                                exitCode: 125)
            }
            extraHosts.append((name, address))
        }
        var ports: [PortRequest] = []
        for p in flags.publish {
            do { ports.append(try PortRequest.parse(p)) } catch {
                throw UserError("invalid argument \"\(p)\" for \"-p, --publish\" flag: \(error)", exitCode: 125)
            }
        }
        if flags.publishAll {
            for e in flags.exposed.sorted() {
                if let r = try? PortRequest.parse(e), !ports.contains(where: { $0.containerPorts == r.containerPorts && $0.proto == r.proto }) {
                    ports.append(r)
                }
            }
        }
        let ownFiles = NetworkEtcFiles.names.map {
            MountSpec(type: "bind", source: "\(containerDirectory)/\($0)", destination: "/etc/\($0)",
                      hostPath: "\(containerDirectory)/\($0)")
        }
        let shortID = String(id.prefix(12))
        let value = flags.network ?? NetworkStore.defaultBridgeName
        var result: RunNetworking
        switch value {
        case "none", "host":
            if mac != nil {
                throw UserError("Error response from daemon: conflicting options: mac-address and the network mode", exitCode: 125)
            }
            if ip != nil || !flags.aliases.isEmpty {
                throw UserError("Error response from daemon: user specified IP address and network aliases are supported on user defined networks only",
                                exitCode: 125)
            }
            if value == "none" {
                result = RunNetworking(kind: .none, mode: .none, hostname: flags.hostname ?? shortID, mounts: ownFiles, flags: flags)
            } else {
                result = RunNetworking(kind: .host, mode: .host, hostname: flags.hostname ?? hostHostname() ?? shortID,
                                       mounts: ownFiles, flags: flags)
            }
        case _ where value.hasPrefix("container:"):
            guard value.count > "container:".count else {
                throw UserError("Error response from daemon: network \(value) not found", exitCode: 125)
            }
            if flags.hostname != nil {
                throw UserError("Error response from daemon: conflicting options: hostname and the network mode", exitCode: 125)
            }
            if mac != nil || ip != nil || !flags.publish.isEmpty || !flags.dns.isEmpty || !flags.addHosts.isEmpty {
                throw UserError("Error response from daemon: conflicting options: mac-address, ip, port publishing, dns and add-host cannot be used with the container network mode",
                                exitCode: 125)
            }
            let name = String(value.dropFirst("container:".count))
            let target: ContainerRecord
            do {
                target = try store.lookup(name)
            } catch {
                throw UserError("Error response from daemon: No such container: \(name)", exitCode: 125)
            }
            let directory = store.directory(target.id)
            let mounts = NetworkEtcFiles.names
                .filter { StateFile.exists("\(directory)/\($0)") }
                .map { MountSpec(type: "bind", source: "\(directory)/\($0)", destination: "/etc/\($0)") }
            result = RunNetworking(kind: .shared, mode: .container(id: target.id),
                                   hostname: target.host.hostname.isEmpty ? target.shortID : target.host.hostname,
                                   mounts: mounts, flags: flags)
        default:
            let networks = NetworkStore(paths: paths)
            if value != NetworkStore.defaultBridgeName {
                do { _ = try networks.inspect(value) } catch {
                    throw UserError("Error response from daemon: network \(value) not found", exitCode: 125)
                }
            } else if ip != nil || !flags.aliases.isEmpty {
                throw UserError("Error response from daemon: user specified IP address and network-scoped aliases are supported on user defined networks only",
                                exitCode: 125)
            }
            result = RunNetworking(kind: .network(value), mode: .join(path: paths.pinnedNetworkNamespace(id)),
                                   hostname: flags.hostname ?? shortID, mounts: ownFiles, flags: flags)
        }
        result.ports = ports
        result.mac = mac
        result.ip = ip
        result.extraHosts = extraHosts
        if !ports.isEmpty && result.kind == .host {
            writeStderr("WARNING: Published ports are discarded when using host network mode\n")
        }
        return result
    }


    /// Once the container record exists (its name is final): wires its
    /// network and writes its /etc files. On failure nothing of it remains.
    func finish(_ record: ContainerRecord, directory: String, paths: StatePaths) throws {
        let files: NetworkEtcFiles
        switch kind {
        case .shared:
            return
        case .host:
            var host = NetworkEtcFiles.forHostNetwork(hostname: hostname)
            for e in extraHosts { host.hosts += "\(e.address)\t\(e.name)\n" }
            files = host
        case .none:
            files = NetworkEtcFiles(hosts: NetworkEtcFiles.hosts(hostname: hostname, addresses: [],
                                                   extraHosts: extraHosts.filter { $0.address != "host-gateway" }),
                             hostname: hostname,
                             resolvConf: NetworkEtcFiles.resolvConf(host: NetworkEtcFiles.hostResolvConf(), dns: flags.dns,
                                                             search: flags.dnsSearch, options: flags.dnsOptions))
        case .network(let name):
            let store = NetworkStore(paths: paths)
            // The records read once for both (the attach reads them again under the store's lock).
            let records = try store.list()
            // Best effort: a stale endpoint must not stop a new container.
            try? RunNetworking.sweepStale(paths: paths, records: records)
            let network = name == NetworkStore.defaultBridgeName ? try store.defaultBridge(listed: records).name : name
            files = try ContainerWiring(store: store).wire(WiringRequest(
                containerID: record.id, containerName: record.name, hostname: hostname,
                namespacePath: paths.pinnedNetworkNamespace(record.id),
                networks: [NetworkJoin(network: network, aliases: flags.aliases, ipv4Address: ip, macAddress: mac)],
                ports: ports, dns: flags.dns, dnsSearch: flags.dnsSearch, dnsOptions: flags.dnsOptions,
                extraHosts: extraHosts))
        }
        do {
            // As NetworkEtcFiles.write (each file replaced atomically), with
            // the three fsyncs issued together (StateFile.writeAtomically(files:)).
            // None for a `--rm` container, whose record is not fsynced either
            // (ContainerStore.create): the files matter only while it runs.
            try StateFile.makeDirectories(directory)
            try StateFile.writeAtomically(files: [
                (directory + "/hosts", Array(files.hosts.utf8)),
                (directory + "/hostname", Array((files.hostname + "\n").utf8)),
                (directory + "/resolv.conf", Array(files.resolvConf.utf8)),
            ], synced: !record.autoRemove)
        } catch {
            if case .network = kind { try? RunNetworking.release(record, paths: paths) }
            throw error
        }
    }

    /// Undoes `finish` for a removed container: published ports, veths,
    /// addresses, the pinned namespace. Safe to repeat. `awaitLinks: false`
    /// when no process of the container is left (see
    /// `NetworkAttacher.release`): the veths go with the namespace.
    static func release(_ record: ContainerRecord, paths: StatePaths, awaitLinks: Bool = true) throws {
        guard let path = record.pinnedNetworkNamespace(under: paths) else { return }
        try NetworkAttacher(store: NetworkStore(paths: paths)).release(containerID: record.id, namespaceFile: path,
                                                                       awaitLinks: awaitLinks)
    }

    /// Releases endpoints whose container is gone (a detached `run --rm`
    /// container the monitor removed: its namespace went with it, its
    /// address and ports are still booked). Containers of this root only.
    static func sweepStale(paths: StatePaths, records: [NetworkRecord]? = nil) throws {
        let networks = NetworkStore(paths: paths)
        let containers = ContainerStore(paths: paths)
        var stale = Set<String>()
        for n in try records ?? networks.list() {
            for id in n.endpoints.keys where !StateFile.exists(containers.directory(id)) { stale.insert(id) }
        }
        let attacher = NetworkAttacher(store: networks)
        for id in stale.sorted() {
            try attacher.release(containerID: id, namespaceFile: paths.pinnedNetworkNamespace(id))
        }
    }

    static func hostHostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
