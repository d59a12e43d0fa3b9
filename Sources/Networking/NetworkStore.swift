import CNetlink
import Diagnostics
import DNSResponder
import Foundation
import IPAddress
import JSONCoding
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// One container's endpoint on a network.
public struct Endpoint: Hashable, Sendable, Codable {
    public var containerID: String
    public var containerName: String
    /// Interface name inside the container (`eth0`).
    public var interface: String
    /// Host end of the veth pair (`brtv…`).
    public var hostInterface: String
    public var ipv4: IPv4Address
    public var ipv6: IPv6Address?
    public var mac: MACAddress
    /// Names that resolve to this endpoint besides the container name
    /// (service name, `aliases`, `<svc>-<n>`).
    public var aliases: [String]
    public var ports: [PortBinding]
}

/// A berth network as stored under `<root>/networks/<id>.json`.
public struct NetworkRecord: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var driver: String
    /// RFC 3339 creation time.
    public var created: String
    public var labels: [String: String]
    public var isInternal: Bool
    public var plan: AddressPlan
    public var bridge: String
    public var mtu: UInt32?
    /// Container id → endpoint.
    public var endpoints: [String: Endpoint]
    /// berth's default `bridge` network (what `berth run` joins without
    /// `--network`): no DNS helper, as Docker's default bridge has no
    /// embedded DNS, and it cannot be removed. nil in older records: false.
    public var predefined: Bool?
    /// A predefined network whose kernel side (bridge, rules) `prune` took
    /// down while nobody used it; the next attach brings it back.
    public var dormant: Bool?

    public var isPredefined: Bool { predefined == true }

    public var ruleNetwork: RuleNetwork {
        RuleNetwork(bridge: bridge, subnet: plan.subnet, subnet6: plan.subnet6, gateway6: plan.gateway6,
                    loopbackAlias: plan.loopbackAlias, isInternal: isInternal)
    }
}

extension NetworkRecord {
    /// As synthesized, but the two maps are read through
    /// `RecordCoding.decodeMap`: the standard library's Dictionary decoding
    /// made the runtime scan the binary's conformance records (its
    /// `allKeys`), ≈ 0.15 ms of every `run` on a network.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        driver = try c.decode(String.self, forKey: .driver)
        created = try c.decode(String.self, forKey: .created)
        labels = try RecordCoding.decodeMap(String.self, in: c, forKey: .labels)
        isInternal = try c.decode(Bool.self, forKey: .isInternal)
        plan = try c.decode(AddressPlan.self, forKey: .plan)
        bridge = try c.decode(String.self, forKey: .bridge)
        mtu = try c.decodeIfPresent(UInt32.self, forKey: .mtu)
        endpoints = try RecordCoding.decodeMap(Endpoint.self, in: c, forKey: .endpoints)
        predefined = try c.decodeIfPresent(Bool.self, forKey: .predefined)
        dormant = try c.decodeIfPresent(Bool.self, forKey: .dormant)
    }
}

/// Options of `network create` / a compose network definition.
public struct NetworkOptions: Hashable, Sendable {
    public var ipam: IPAMRequest
    public var isInternal: Bool
    public var labels: [String: String]
    public var mtu: UInt32?
    /// The default `bridge` network (see `NetworkRecord.predefined`).
    public var predefined: Bool

    public init(ipam: IPAMRequest = IPAMRequest(), isInternal: Bool = false, labels: [String: String] = [:], mtu: UInt32? = nil,
                predefined: Bool = false) {
        self.predefined = predefined
        self.ipam = ipam
        self.isInternal = isInternal
        self.labels = labels
        self.mtu = mtu
    }
}

/// berth's networks: state on disk, the bridges in the kernel, the nftables
/// table and the DNS helpers, kept in step under one lock per state root.
public final class NetworkStore: Sendable {
    public let paths: StatePaths
    /// The DNS helper executable (default: `berth-dns` next to the running
    /// executable, or `$BERTH_DNS_HELPER`). Looked up when a helper starts:
    /// a store is made several times per `run`, which never starts one on
    /// the default bridge (the environment read through ProcessInfo and
    /// the link read cost ≈ 0.1 ms each time).
    public var dnsHelper: String { dnsHelperOverride ?? NetworkStore.defaultHelperPath() }
    private let dnsHelperOverride: String?
    /// Upstream resolvers for names berth does not know (`ip:port`); nil:
    /// the nameservers of /etc/resolv.conf.
    public let upstreams: [String]?

    public init(paths: StatePaths, dnsHelper: String? = nil, upstreams: [String]? = nil) {
        self.paths = paths
        self.dnsHelperOverride = dnsHelper
        self.upstreams = upstreams
    }

    var directory: String { paths.root + "/networks" }
    func recordPath(_ id: String) -> String { directory + "/\(id).json" }
    /// The record without its endpoints, fsynced whenever the definition
    /// changes (`saveDefinition`): what `list` reads when the record itself
    /// is unreadable. Hidden (`.`-led), so never listed as a record.
    func definitionPath(_ id: String) -> String { directory + "/.\(id).definition" }
    /// The record's previous version, rewritten in place and exchanged with
    /// the record at its next unsynced save (`exchangeIn`).
    func sparePath(_ id: String) -> String { directory + "/.\(id).spare" }
    func runDirectory(_ id: String) -> String { paths.run + "/networks/" + String(id.prefix(12)) }
    /// The records file the network's DNS helper serves.
    public func recordsPath(_ id: String) -> String { runDirectory(id) + "/dns.records" }
    func pidPath(_ id: String) -> String { runDirectory(id) + "/dns.pid" }
    /// berth's nftables table for this state root.
    public var tableName: String { RuleSet.tableName(forRoot: paths.root) }

    static func defaultHelperPath() -> String {
        if let env = getenv("BERTH_DNS_HELPER"), env.pointee != 0 { return String(cString: env) }
        return Sys.besideExecutable("berth-dns")
    }

    // MARK: reading

    /// Every network of this root, sorted by name.
    public func list() throws -> [NetworkRecord] {
        // Through readdir and read(2): FileManager's listing and reading
        // made the runtime scan the binary's conformance records once more
        // (≈ 0.15 ms of every `run` on a network).
        guard let names = try? Sys.listDirectory(directory) else { return [] }
        var out: [NetworkRecord] = []
        // `.tmp-<pid>-<id>.json` is a write in progress, or one a killed
        // berth left behind: never a second copy of the record.
        for n in names where n.hasSuffix(".json") && !n.hasPrefix(".") {
            let path = directory + "/" + n
            guard let data = try? Sys.readBytes(path) else { continue }
            do {
                out.append(try NetworkStore.decode(data))
            } catch {
                // Torn by a power loss (endpoint changes are not fsynced):
                // the definition, fsynced apart, without endpoints — after a
                // power loss none of them is live anyway.
                if let definition = readDefinition(id: String(n.dropLast(".json".count))) {
                    out.append(definition)
                    continue
                }
                throw NetworkError("corrupt network state \(path): \(error)")
            }
        }
        return out.sorted { $0.name < $1.name }
    }

    /// The network with this name, full id or unique id prefix.
    public func inspect(_ nameOrID: String) throws -> NetworkRecord {
        try NetworkStore.find(nameOrID, in: list())
    }

    /// `inspect` over records already listed.
    static func find(_ nameOrID: String, in all: [NetworkRecord]) throws -> NetworkRecord {
        if let n = all.first(where: { $0.name == nameOrID || $0.id == nameOrID }) { return n }
        let byPrefix = all.filter { $0.id.hasPrefix(nameOrID) }
        if byPrefix.count == 1, !nameOrID.isEmpty { return byPrefix[0] }
        if byPrefix.count > 1 { throw NetworkError("network \(nameOrID) is ambiguous (\(byPrefix.count) matches)") }
        throw NetworkError("network \(nameOrID) not found")
    }

    // MARK: lifecycle

    /// Creates a network: subnet, bridge `brt-<id8>` with the gateway and
    /// loopback-alias addresses, berth's nftables rules, the DNS helper.
    /// Rolls back what it did when a step fails.
    @discardableResult
    public func create(name: String, options: NetworkOptions = NetworkOptions()) throws -> NetworkRecord {
        try validateName(name)
        return try withLock {
            if try list().contains(where: { $0.name == name }) {
                throw NetworkError("network with name \(name) already exists")
            }
            let id = NetworkStore.randomID()
            let idBytes = stride(from: 0, to: 14, by: 2).compactMap { i -> UInt8? in
                let s = id.index(id.startIndex, offsetBy: i)
                return UInt8(id[s..<id.index(s, offsetBy: 2)], radix: 16)
            }
            let bridge = "brt-" + String(id.prefix(8))
            var record: NetworkRecord?
            var undo: [() -> Void] = []
            do {
                // Subnet choice and the bridge address happen under a machine-wide
                // lock, so concurrent creates (even from other roots) never collide:
                // once the bridge has its address, its route blocks the subnet.
                try GlobalLock.with("/run/lock/berth-ipam.lock") {
                    let taken = try allSubnetsOfBerth()
                    let routes = IPAM.parseRoutes((try? Sys.readFile("/proc/net/route")) ?? "")
                    let plan = try IPAM.plan(options.ipam, hostRoutes: routes, taken: taken, seed: idBytes)
                    let links = LinkControl(try NetlinkSocket())
                    let r = NetworkRecord(id: id, name: name, driver: "bridge", created: NetworkStore.now(),
                                          labels: options.labels, isInternal: options.isInternal, plan: plan,
                                          bridge: bridge, mtu: options.mtu, endpoints: [:],
                                          predefined: options.predefined ? true : nil)
                    try addBridge(r, links) { undo.append { _ = try? links.deleteIfPresent(bridge) } }
                    record = r
                }
                guard let r = record else { throw NetworkError("network \(name): no address plan") }
                // The DNS helper starts (a few ms) while the record and the rules are written.
                var dns: DNSHelper.Starting?
                if !r.isPredefined {
                    try writeRecords(r)
                    dns = try DNSHelper.spawn(executable: dnsHelper, listen: r.plan.gateway, records: recordsPath(id),
                                              pidFile: pidPath(id))
                }
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    // The record, then its definition copy: killed in between,
                    // the record's next save writes the copy (no orphan copy).
                    try writeAtomically(recordPath(id), try NetworkStore.encode(r))
                    undo.append { [self] in try? FileManager.default.removeItem(atPath: recordPath(id)) }
                    try saveDefinition(r)
                    undo.append { [self] in unlink(definitionPath(id)) }
                    if !options.isInternal { _ = try NFTables.enableIPv4Forwarding() }
                    try applyRules()
                    undo.append { [self] in try? applyRules() }
                } catch {
                    dns.take()?.cancel()
                    throw error
                }
                try dns.take()?.awaitReady()
                return r
            } catch {
                for u in undo.reversed() { u() }
                try? FileManager.default.removeItem(atPath: runDirectory(id))
                throw error
            }
        }
    }

    /// Removes a network with no endpoints: DNS helper, bridge, rules, state.
    /// Endpoints for which `stale` is true (containers that no longer exist)
    /// don't count: they go with the record.
    public func remove(_ nameOrID: String, droppingEndpoints stale: (String) -> Bool = { _ in false }) throws {
        try withLock {
            let r = try inspect(nameOrID)
            if r.isPredefined {
                throw NetworkError("\(r.name) is a pre-defined network and cannot be removed")
            }
            let live = r.endpoints.filter { !stale($0.key) }
            guard live.isEmpty else {
                let names = live.values.map(\.containerName).sorted().joined(separator: ", ")
                throw NetworkError("error while removing network: network \(r.name) has active endpoints (\(names))")
            }
            try teardown(r)
        }
    }

    /// Deletes the bridges of the networks `which` picks whose endpoints all
    /// belong to `leaving` (containers being removed), stops their DNS
    /// helpers and applies the rules without them, ahead of `remove`:
    /// deleting a bridge waits for the kernel (two RCU grace periods and two
    /// RCU barriers, 30–60 ms here), which `down` overlaps with the container
    /// removals, and the bridges and the rules go at the same time. The
    /// records stay until `remove`, with the rules marked pending; a crash
    /// in between leaves records whose bridges are gone, which `remove`
    /// still removes and `ensureUp` (the next attach) brings back. Returns
    /// the names of the networks retired.
    @discardableResult
    public func retireBridges(where which: (NetworkRecord) -> Bool, leaving: Set<String>,
                              deleter: LinkDeleter = LinkDeleter()) throws -> [String] {
        let retiring = try withLock { try list() }.filter { which($0) && Set($0.endpoints.keys).isSubset(of: leaving) }
        guard !retiring.isEmpty else { return [] }
        let ids = Set(retiring.map(\.id))
        // The bridges, the DNS helpers and the rules go at the same time.
        try inParallel([
            { try deleter.delete(retiring.map(\.bridge)) },
            { for r in retiring { try DNSHelper.stop(pidFile: self.pidPath(r.id), records: self.recordsPath(r.id)) } },
            { try self.withLock { try self.applyRules(excluding: ids) } },
        ])
        return retiring.map(\.name)
    }

    /// Drops, from the networks `which` picks, the endpoints for which
    /// `stale` is true (containers that no longer exist: a `down` killed
    /// between removing its containers and their networks leaves them),
    /// with their DNS names and published ports. Returns how many went.
    /// Callers look for stale endpoints in the records they have already
    /// read and call this only when there are any.
    @discardableResult
    public func dropEndpoints(in which: (NetworkRecord) -> Bool, where stale: (String) -> Bool) throws -> Int {
        try withLock {
            var dropped = 0
            var ports = false
            for var r in try list() where which(r) {
                let gone = r.endpoints.keys.filter(stale)
                guard !gone.isEmpty else { continue }
                for id in gone {
                    if let e = r.endpoints.removeValue(forKey: id), !e.ports.isEmpty { ports = true }
                }
                try save(r)
                if DNSHelper.isRunning(pidFile: pidPath(r.id), records: recordsPath(r.id)) { try writeRecords(r) }
                dropped += gone.count
            }
            if ports { try applyRules() }
            return dropped
        }
    }

    /// Renders and applies berth's nftables rules from the stored state
    /// (after changes made with `applyRules: false`).
    public func reapplyRules() throws {
        try withLock { try applyRules() }
    }

    /// Removes every network without endpoints; returns their names. The
    /// predefined `bridge` stays (its name is not returned), but an unused
    /// one loses its kernel side until the next container joins it, so a
    /// pruned root leaves no bridge or nftables table behind.
    public func prune(where keep: (NetworkRecord) -> Bool = { _ in false }) throws -> [String] {
        try withLock {
            var removed: [String] = []
            for r in try list() where r.endpoints.isEmpty && !keep(r) {
                if r.isPredefined {
                    try makeDormant(r)
                } else {
                    try teardown(r)
                    removed.append(r.name)
                }
            }
            return removed
        }
    }

    /// The default `bridge` network, created on first use (own subnet,
    /// bridge `brt-<id8>`, no DNS helper) and brought up when dormant.
    /// `listed`: the records as the caller has just read them (`list()`).
    public func defaultBridge(listed: [NetworkRecord]? = nil) throws -> NetworkRecord {
        if let r = try (listed ?? list()).first(where: { $0.isPredefined && $0.name == NetworkStore.defaultBridgeName }) {
            return r
        }
        do {
            return try create(name: NetworkStore.defaultBridgeName, options: NetworkOptions(predefined: true))
        } catch let error as NetworkError where error.description.contains("already exists") {
            // Another berth created it meanwhile.
            return try inspect(NetworkStore.defaultBridgeName)
        }
    }

    /// The name of berth's default network, as Docker's.
    public static let defaultBridgeName = "bridge"

    func makeDormant(_ r: NetworkRecord) throws {
        var r = r
        try awaitReleasedVeths(on: r.bridge)
        try LinkDeleter().delete([r.bridge])
        r.dormant = true
        try save(r, durability: .full)
        try applyRules()
    }

    /// Brings a stored network's kernel side back when it is missing (after
    /// a reboot empties /run and the bridges, or after a crash): bridge with
    /// its addresses, rules, DNS records and helper. Cheap when all is there.
    public func ensureUp(_ nameOrID: String) throws {
        _ = try withLock { try ensureUpLocked(try inspect(nameOrID)) }
    }

    /// Returns the record as it is now (a dormant one may get a new plan)
    /// and its bridge's interface index (an attach puts its veth there).
    @discardableResult
    func ensureUpLocked(_ r: NetworkRecord) throws -> (record: NetworkRecord, bridgeIndex: Int32) {
        let links = LinkControl(try NetlinkSocket())
        var r = r
        let wasDormant = r.dormant == true
        if wasDormant {
            // While dormant its subnet was free for others (no bridge, no
            // route): waking up claims it again under the machine-wide
            // IPAM lock, or a new one when it was taken meanwhile.
            try GlobalLock.with("/run/lock/berth-ipam.lock") {
                let routes = IPAM.parseRoutes((try? Sys.readFile("/proc/net/route")) ?? "")
                if try links.link(named: r.bridge) == nil, routes.contains(where: { $0.overlaps(r.plan.subnet) }) {
                    let taken = try allSubnetsOfBerth().filter { $0 != r.plan.subnet }
                    r.plan = try IPAM.plan(IPAMRequest(), hostRoutes: routes, taken: taken)
                }
                r.dormant = nil
                try save(r, durability: .full)
                try bringUpBridge(r, links)
            }
            try applyRules()
            return (r, try links.index(of: r.bridge))
        }
        let bridgeIndex: Int32
        if let index = try links.link(named: r.bridge)?.index {
            bridgeIndex = index
        } else {
            try bringUpBridge(r, links)
            try applyRules()
            bridgeIndex = try links.index(of: r.bridge)
        }
        if access(rulesPendingPath, F_OK) == 0 { try applyRules() }
        if !r.isPredefined && !DNSHelper.isRunning(pidFile: pidPath(r.id), records: recordsPath(r.id)) {
            try writeRecords(r)
            try DNSHelper.start(executable: dnsHelper, listen: r.plan.gateway, records: recordsPath(r.id), pidFile: pidPath(r.id))
        }
        return (r, bridgeIndex)
    }

    /// Creates a stored network's bridge with its addresses, up.
    func bringUpBridge(_ r: NetworkRecord, _ links: LinkControl) throws {
        guard try links.link(named: r.bridge) == nil else { return }
        try addBridge(r, links)
        if !r.isInternal { _ = try NFTables.enableIPv4Forwarding() }
    }

    /// Creates the bridge of `r` with its addresses, up; `created` runs as
    /// soon as the link exists (for the caller's undo).
    func addBridge(_ r: NetworkRecord, _ links: LinkControl, created: () -> Void = {}) throws {
        let idBytes = stride(from: 0, to: 8, by: 2).compactMap { i -> UInt8? in
            let s = r.id.index(r.id.startIndex, offsetBy: i)
            return UInt8(r.id[s..<r.id.index(s, offsetBy: 2)], radix: 16)
        }
        // 02:42 + four bytes of the id: locally administered, stable.
        try links.createBridge(r.bridge, mtu: r.mtu, mac: MACAddress(unchecked: [0x02, 0x42] + idBytes))
        created()
        let index = try links.index(of: r.bridge)
        try links.addAddress(r.plan.gateway, prefix: r.plan.subnet.prefix, index: index, name: r.bridge)
        try links.addAddress(r.plan.loopbackAlias, prefix: 32, index: index, name: r.bridge)
        if let s6 = r.plan.subnet6, let g6 = r.plan.gateway6 {
            try links.addAddress6(g6, prefix: s6.prefix, index: index, name: r.bridge)
            if let a6 = r.plan.loopbackAlias6 { try links.addAddress6(a6, prefix: 128, index: index, name: r.bridge) }
        }
        try links.setUp(index, name: r.bridge)
    }

    func teardown(_ r: NetworkRecord) throws {
        // Deleting the bridge (which takes its addresses and connected
        // routes with it) waits for the kernel; the DNS helper and the rules
        // without this network go meanwhile. The record goes last: a crash
        // before leaves it for the next `remove` or `prune` (rules marked pending).
        try inParallel([
            { try self.awaitReleasedVeths(on: r.bridge); try LinkDeleter().delete([r.bridge]) },
            { try DNSHelper.stop(pidFile: self.pidPath(r.id), records: self.recordsPath(r.id)) },
            { try self.applyRules(excluding: [r.id]) },
        ])
        // The copy first: a record left without one gets it again at its next save.
        if unlink(definitionPath(r.id)) != 0 && errno != ENOENT {
            throw SystemError.current("unlink", definitionPath(r.id))
        }
        // The previous version (a stale copy, never read).
        unlink(sparePath(r.id))
        try FileManager.default.removeItem(atPath: recordPath(r.id))
        // The rules were rendered from the records as they are now.
        unlink(rulesPendingPath)
        try? FileManager.default.removeItem(atPath: runDirectory(r.id))
    }

    /// Waits until the kernel has deleted the veths still on `bridge` (the
    /// caller takes it down with no endpoint left): those of containers
    /// released with `NetworkAttacher.release(awaitLinks: false)`, which go
    /// with their unpinned namespaces a few milliseconds later. What is
    /// still there after `timeout` seconds is deleted here, so a pruned or
    /// removed network leaves no link behind.
    func awaitReleasedVeths(on bridge: String, timeout: Double = 3) throws {
        let links = LinkControl(try NetlinkSocket())
        guard let master = try links.link(named: bridge)?.index else { return }
        let left = try links.links().filter { $0.master == master && $0.name.hasPrefix("brtv") }.map(\.name)
        if !left.isEmpty { try LinkDeleter.awaitGone(left, timeout: timeout) }
    }

    // MARK: shared with the attacher and the port publisher

    /// Saves a change to an existing record. Endpoints and ports (the
    /// default) are written atomically but not fsynced: they describe
    /// containers that a power loss stops, and a record such a loss leaves
    /// torn reads as its definition (`definitionPath`, fsynced once per
    /// network when missing). A changed definition (address plan, dormant)
    /// asks for `.full`: its copy is written first, then the record.
    /// The two fsyncs this spared cost 0.3–3 ms of every `run` on a network.
    func save(_ r: NetworkRecord, durability: Durability = .none) throws {
        if durability != .none || access(definitionPath(r.id), F_OK) != 0 { try saveDefinition(r) }
        if durability == .none {
            try exchangeIn(recordPath(r.id), spare: sparePath(r.id), try NetworkStore.encode(r))
        } else {
            try writeAtomically(recordPath(r.id), try NetworkStore.encode(r), durability: durability)
        }
    }

    /// Writes the definition copy of `r` (its endpoints left out), fsynced.
    func saveDefinition(_ r: NetworkRecord) throws {
        var definition = r
        definition.endpoints = [:]
        try writeAtomically(definitionPath(r.id), try NetworkStore.encode(definition), durability: .full)
    }

    /// The definition copy of the record `id`, when there is a readable one.
    func readDefinition(id: String) -> NetworkRecord? {
        guard let data = try? Sys.readBytes(definitionPath(id)) else { return nil }
        return try? NetworkStore.decode(data)
    }

    /// Marks the nftables rules as behind the records (a change made with
    /// `applyRules: false`), before that change is saved: the next attach
    /// (`ensureUpLocked`) applies them if nothing else did, so a berth killed
    /// in between never leaves a port forwarded to a released address.
    func markRulesPending() {
        let fd = open(rulesPendingPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    var rulesPendingPath: String { directory + "/.rules-pending" }

    /// Re-renders and applies berth's nftables table from the stored state,
    /// without the networks in `excluding` (being removed; the rules count
    /// as pending until their records are gone).
    func applyRules(excluding: Set<String> = []) throws {
        if !excluding.isEmpty { markRulesPending() }
        let all = try list().filter { !excluding.contains($0.id) }
        var ports: [RulePort] = []
        for n in all {
            for e in n.endpoints.values {
                for b in e.ports {
                    ports.append(RulePort(bridge: n.bridge, loopbackAlias: n.plan.loopbackAlias, containerIP: e.ipv4, binding: b,
                                          loopbackAlias6: n.plan.loopbackAlias6, containerIP6: e.ipv6))
                }
            }
        }
        let live = all.filter { $0.dormant != true }
        try NFTables.apply(table: tableName, networks: live.map(\.ruleNetwork), ports: ports)
        // TCP to the host's IPv4 addresses: redirected at connect() when the
        // kernel allows (else the rules just applied serve it, as they serve
        // the rest).
        SocketRedirect(table: tableName).apply(RedirectEntry.entries(for: ports, nonlocalBind: SocketRedirect.nonlocalBindEnabled()))
        if excluding.isEmpty { unlink(rulesPendingPath) }
    }

    /// Rewrites the network's DNS records file atomically; the helper
    /// notices the new file on its next query.
    func writeRecords(_ r: NetworkRecord) throws {
        if r.isPredefined { return }
        var entries: [(name: String, address: String)] = []
        for e in r.endpoints.values.sorted(by: { $0.containerName < $1.containerName }) {
            var names = [e.containerName, String(e.containerID.prefix(12))] + e.aliases
            var seen = Set<String>()
            names = names.filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
            for n in names {
                entries.append((n, e.ipv4.description))
                if let v6 = e.ipv6 { entries.append((n, v6.description)) }
            }
        }
        let text = DNSRecords.render(upstreams: upstreams ?? ResolvConf.hostNameservers(), entries: entries)
        try FileManager.default.createDirectory(atPath: runDirectory(r.id), withIntermediateDirectories: true)
        try writeAtomically(recordsPath(r.id), Array(text.utf8), durability: .none)
    }

    func allSubnetsOfBerth() throws -> [IPv4Subnet] {
        try list().map(\.plan.subnet)
    }

    /// Runs `body` holding this root's network lock (flock on
    /// `<root>/networks/.lock`), so concurrent berth processes serialize.
    func withLock<T>(_ body: () throws -> T) throws -> T {
        try GlobalLock.with(directory + "/.lock", body)
    }

    func validateName(_ name: String) throws {
        let ok = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        } && name.first.map { $0.isLetter || $0.isNumber } == true
        guard ok else { throw NetworkError("invalid network name \"\(name)\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed") }
    }

    static func randomID() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let b = UInt8.random(in: 0...255, using: &g)
            return (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    /// A record as written: indented JSON through JSONCoding (Foundation's
    /// JSONEncoder cost ≈ 0.3 ms of CPU per save on the `run` path, most
    /// of it its first use in the process).
    /// Bytes rather than Data: `Data(String.UTF8View)` is generic over the
    /// sequence and made the runtime scan the binary's conformance records
    /// at the first save of a process (≈ 0.1 ms).
    static func encode(_ r: NetworkRecord) throws -> [UInt8] {
        Array(try RecordCoding.encode(r).pretty(indent: 2).utf8)
    }

    /// A record as read: through JSONCoding, or Foundation's JSONDecoder
    /// for what that cannot read (its error is the one thrown).
    static func decode(_ bytes: [UInt8]) throws -> NetworkRecord {
        if let record = RecordCoding.decodeIfReadable(NetworkRecord.self, from: bytes) { return record }
        return try JSONDecoder().decode(NetworkRecord.self, from: Data(bytes))
    }
}

/// An exclusive flock on a file, held for the duration of a closure.
enum GlobalLock {
    static func with<T>(_ path: String, _ body: () throws -> T) throws -> T {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try Sys.ensureDirectory(String(path[..<slash]))
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.current("open lock", path) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw SystemError.current("flock LOCK_EX", path) }
        }
        return try body()
    }
}

/// How much of an atomic write survives a power loss (a crash of berth
/// itself never sees a partial file either way: readers see the old or the
/// new version).
enum Durability {
    /// The new version, for good: fsync of the file, rename, fsync of the
    /// directory (a record that must not vanish, like a created network).
    case full
    /// Neither: files in the runtime directory (DNS records, pid files)
    /// describe processes that a power loss ends, and are rewritten when
    /// those are started again (`ensureUp`); a network record's endpoint
    /// changes (after a power loss no container runs, so every version is
    /// equally stale; a torn record reads as its fsynced definition copy).
    case none
}

/// Writes a file atomically: temp file in the same directory, fsync, rename,
/// fsync of the directory — the fsyncs as `durability` asks.
func writeAtomically(_ path: String, _ data: [UInt8], durability: Durability = .full) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let tmp = dir + "/.tmp-\(getpid())-" + (path as NSString).lastPathComponent
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SystemError.current("open", tmp) }
    if !writeWhole(fd, data) { let e = SystemError.current("write", tmp); close(fd); unlink(tmp); throw e }
    if durability != .none && fsync(fd) != 0 {
        let e = SystemError.current("fsync", tmp); close(fd); unlink(tmp); throw e
    }
    close(fd)
    guard rename(tmp, path) == 0 else { let e = SystemError.current("rename", path); unlink(tmp); throw e }
    guard durability == .full else { return }
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 { _ = fsync(dfd); close(dfd) }
}

/// Writes all of `data` from the start of `fd` (EINTR retried); false,
/// with errno set, on an error.
private func writeWhole(_ fd: Int32, _ data: [UInt8]) -> Bool {
    data.withUnsafeBytes { buf in
        guard let base = buf.baseAddress else { return true }
        var off = 0
        while off < buf.count {
            let n = pwrite(fd, base + off, buf.count - off, off_t(off))
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }
}

/// Replaces `path` with `data` for readers at once, as `writeAtomically`
/// with `.none`, without making or freeing an inode: `spare` (the version
/// before last, or a new file the first time) is rewritten in place and
/// exchanged with `path` (`renameat2(RENAME_EXCHANGE)`), so it holds the
/// previous version afterwards. On this VM's ext4 (no journal, `discard`)
/// a new inode cost ≈ 0.2 ms and the rename that freed the old one's block
/// 0.2–0.6 ms, twice per `run --rm` on a network. Writers hold the store's
/// lock. Falls back to `writeAtomically` where the file system cannot
/// exchange.
func exchangeIn(_ path: String, spare: String, _ data: [UInt8]) throws {
    let fd = open(spare, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SystemError.current("open", spare) }
    if !writeWhole(fd, data) || ftruncate(fd, off_t(data.count)) != 0 {
        let e = SystemError.current("write", spare); close(fd); unlink(spare); throw e
    }
    close(fd)
    if renameat2(AT_FDCWD, spare, AT_FDCWD, path, berth_rename_exchange) == 0 { return }
    let e = errno
    // No record yet (the first save, or one removed by hand): the spare becomes it.
    if e == ENOENT, rename(spare, path) == 0 { return }
    unlink(spare)
    if e == EINVAL || e == ENOSYS || e == ENOTSUP { return try writeAtomically(path, data, durability: .none) }
    errno = e
    throw SystemError.current("exchange", path)
}
