import Compose
import Diagnostics
import Foundation
import Health
import ImageStore
import IPAddress
import Networking
import OCI
import Runtime
import Synchronization

/// The real ContainerDriver: turns a compose service into a container
/// record (image config merged with the service, Docker's rules), pins a
/// network namespace, attaches the project's networks with DNS aliases,
/// publishes ports, and starts the container under its berth-monitor.
/// Healthchecks go into the record; the container's monitor probes them
/// and keeps the verdict in state.json, where `observe` reads it.
public final class ComposeDriver: ContainerDriver, Sendable {
    public let paths: StatePaths
    public let project: Project
    let containers: ContainerStore
    let operations: ContainerOperations
    let networks: NetworkStore
    let images: ImageStore
    /// Container name → id, learned from listings and creations: a lookup
    /// by name otherwise reads every record of the store (20 replicas going
    /// down made 800 record reads).
    private let ids = Mutex<[String: String]>([:])
    /// Deletes the project's bridges for `down` (prepared at its start).
    let linkDeleter = LinkDeleter()

    public init(paths: StatePaths, project: Project, monitorExecutable: String) {
        self.paths = paths
        self.project = project
        containers = ContainerStore(paths: paths)
        operations = ContainerOperations(store: containers, monitorExecutable: monitorExecutable)
        networks = NetworkStore(paths: paths)
        images = ImageStore(paths: paths)
    }

    /// The record of a container by name, through the name → id cache.
    func record(named name: String) throws -> ContainerRecord {
        if let id = ids.withLock({ $0[name] }), let record = try? containers.record(id: id), record.name == name {
            return record
        }
        let record = try containers.lookup(name)
        ids.withLock { $0[name] = record.id }
        return record
    }

    func remember(_ records: [ContainerRecord]) {
        ids.withLock { cache in for r in records { cache[r.name] = r.id } }
    }

    // MARK: Names

    public func name(service: String, number: Int) -> String {
        if let fixed = project.service(named: service)?.containerName { return fixed }
        return ProjectLabels.containerName(project: project.name, service: service, number: number)
    }

    /// `<project>_<network>` unless the network sets its own `name`.
    public static func networkName(_ key: String, in project: Project) -> String {
        project.networks[key]?.name ?? "\(project.name)_\(key)"
    }

    /// `<project>_<volume>` unless the volume sets its own `name`.
    public static func volumeName(_ key: String, in project: Project) -> String {
        project.volumes[key]?.name ?? "\(project.name)_\(key)"
    }


    // MARK: ContainerDriver

    public func create(service: String, number: Int) async throws -> String {
        try await blocking { try self.createNow(service: service, number: number) }
    }

    func createNow(service: String, number: Int) throws -> String {
        guard let svc = project.service(named: service) else {
            throw EngineError(service: service, "no such service: \(service)")
        }
        let containerName = name(service: service, number: number)
        let record = try makeRecord(svc, number: number, name: containerName)
        let created = try containers.create(record)
        remember([created])
        try complete(created) {
            let fields = ConfigFields.flatten(svc.definition).sorted { $0.key < $1.key }
                .map { "\($0.key)\t\($0.value.replacingOccurrences(of: "\n", with: "\\n"))" }.joined(separator: "\n")
            try fields.write(toFile: containers.directory(created.id) + "/compose-fields", atomically: true, encoding: .utf8)
            try wireNetwork(created, service: svc)
        }
        return containerName
    }

    public func start(_ name: String) async throws {
        try await blocking { try self.startNow(name) }
    }

    func startNow(_ name: String) throws {
        let record = try record(named: name)
        switch try operations.start(record) {
        case .started, .waitingForAttach:
            break
        case let .failed(code, message):
            throw EngineError(service: record.labels[ProjectLabels.service] ?? name,
                            "container \(name) failed to start (exit \(code)): \(message)")
        }
    }

    public func stop(_ name: String) async throws {
        try await stop(name, timeout: nil)
    }

    /// Stops with the stop signal, then SIGKILL after `timeout` seconds
    /// (default: the service's stop_grace_period, else 10 s).
    public func stop(_ name: String, timeout: Int?) async throws {
        try await blocking {
            let record = try self.record(named: name)
            let grace = record.labels[ProjectLabels.service].flatMap { self.project.service(named: $0)?.stopGracePeriod }
            try self.operations.stop(record, timeout: timeout ?? grace.map { Int(($0.nanoseconds + 999_999_999) / 1_000_000_000) })
        }
    }

    /// Sends SIGKILL (second Ctrl-C).
    public func kill(_ name: String) async throws {
        try await blocking { try self.operations.kill(try self.record(named: name), signal: SIGKILL) }
    }

    public func remove(_ name: String) async throws {
        try await remove(name, volumes: false)
    }

    /// Removes the container, its network wiring, and with `volumes` its anonymous volumes.
    public func remove(_ name: String, volumes: Bool) async throws {
        _ = try await remove(name, volumes: volumes, lazyLinks: false)
    }

    /// `lazyLinks` (for `down`): the container's veths go with its network
    /// namespace, deleted by the kernel in the background; returns their
    /// names for `awaitLinksGone`.
    public func remove(_ name: String, volumes: Bool, lazyLinks: Bool) async throws -> [String] {
        try await blocking {
            let record = try self.record(named: name)
            // Lazy (`down`, the container stopped): the wiring goes first, its
            // namespace unpinned, so the kernel deletes the namespace and its
            // veths while the container's files go.
            if lazyLinks {
                let links = try self.teardown(record, lazyLinks: true)
                try self.operations.remove(record, force: true, removeVolumes: volumes)
                return links
            }
            try self.operations.remove(record, force: true, removeVolumes: volumes)
            return try self.teardown(record)
        }
    }

    /// Waits for the veths lazy removals left to the kernel (see `remove`).
    public func awaitLinksGone(_ links: [String]) throws {
        try NetworkAttacher(store: networks).awaitLinksGone(links)
    }

    /// Removes a named volume's data; false when it did not exist.
    public func removeVolume(_ name: String) throws -> Bool {
        let volumes = NamedVolumes(paths: paths)
        guard FileManager.default.fileExists(atPath: volumes.dataPath(name)) else { return false }
        try volumes.remove(name)
        return true
    }

    public func logPath(_ record: ContainerRecord) -> String { containers.logPath(record.id) }

    public func observe(_ name: String) async throws -> ObservedContainer {
        let record = try record(named: name)
        let snapshot = try operations.snapshot(record)
        let status: ObservedContainer.Status = switch snapshot.state.status {
        case .created: .created
        case .running: .running
        case .paused: .paused
        case .restarting: .restarting
        case .exited: .exited(snapshot.state.exitCode)
        case .dead, .removing: .dead
        }
        // The monitor's verdict, only meaningful while the process runs
        // (`starting` until its first probe is recorded).
        guard record.healthcheck != nil, snapshot.state.status == .running else {
            return ObservedContainer(status: status, health: nil, healthReport: [])
        }
        let health = snapshot.state.health
        return ObservedContainer(status: status, health: health?.healthStatus ?? .starting,
                                 healthReport: health?.report ?? [])
    }

    public func lastLogLines(_ name: String, count: Int) async -> [String] {
        guard let record = try? record(named: name),
              let text = try? String(contentsOfFile: containers.logPath(record.id), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").suffix(count).compactMap { line in
            guard let value = try? RecordJSON.parse(String(line)), let log = value["log"]?.stringValue else { return nil }
            return log.hasSuffix("\n") ? String(log.dropLast()) : log
        }
    }

    // MARK: What exists

    /// The project's containers as planning sees them.
    public func actualContainers() throws -> [(record: ContainerRecord, actual: ActualContainer)] {
        let records = try containers.all().filter { $0.labels[ProjectLabels.project] == project.name }
        remember(records)
        return records.map { record in
            let state = (try? operations.snapshot(record).state)
            let status: ActualContainer.Status = switch state?.status {
            case .running?: .running
            case .paused?: .paused
            case .restarting?: .restarting
            case .created?: .created
            case .exited?: .exited(state?.exitCode ?? 0)
            default: .dead
            }
            var fields: [String: String] = [:]
            if let text = try? String(contentsOfFile: containers.directory(record.id) + "/compose-fields", encoding: .utf8) {
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                    if parts.count == 2 { fields[parts[0]] = parts[1].replacingOccurrences(of: "\\n", with: "\n") }
                }
            }
            let actual = ActualContainer(
                id: record.id, name: record.name, service: record.labels[ProjectLabels.service] ?? "",
                number: Int(record.labels[ProjectLabels.number] ?? "") ?? 1,
                oneOff: record.labels[ProjectLabels.oneOff] == "True",
                configHash: record.labels[ProjectLabels.configHash] ?? "", imageID: record.imageDigest,
                fields: fields, status: status, stoppedByUser: state?.stoppedByUser ?? false)
            return (record, actual)
        }
    }

    // MARK: Convergence after a crash

    /// Written last by `create`: the record, its network wiring and its
    /// /etc files all exist. A berth killed inside `create` leaves a record
    /// without it.
    static let completeMarker = "compose-complete"

    /// Finishes a created container: runs `wiring`, then writes the
    /// completion marker; when either fails, undoes the wiring and removes
    /// the container again.
    func complete(_ created: ContainerRecord, wiring: () throws -> Void) throws {
        do {
            try wiring()
            let path = containers.directory(created.id) + "/" + Self.completeMarker
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw EngineError(service: nil, "cannot write \(path)")
            }
        } catch {
            _ = try? teardown(created)
            try? containers.remove(id: created.id)
            throw error
        }
    }

    /// Removes the project's containers that a killed `berth` left half
    /// created (never started, no completion marker), with whatever wiring
    /// they got; returns the containers kept. Call it holding the project lock:
    /// another berth may be inside `create` for a container otherwise.
    public func discardIncomplete(_ existing: [(record: ContainerRecord, actual: ActualContainer)]) throws
        -> [(record: ContainerRecord, actual: ActualContainer)] {
        try existing.filter { entry in
            guard entry.actual.status == .created,
                  !FileManager.default.fileExists(atPath: containers.directory(entry.record.id) + "/" + Self.completeMarker)
            else { return true }
            _ = try? teardown(entry.record)
            try operations.remove(entry.record, force: true)
            return false
        }
    }

    /// The config digest of the image a service would run now; throws,
    /// naming the service, when the image is not in the store.
    public func imageID(for service: ComposeService) throws -> String {
        guard let reference = service.image else {
            throw EngineError(service: service.name,
                "service \"\(service.name)\" has no image (building from a Dockerfile is not available yet: set image:)")
        }
        do {
            return try images.image(reference).configDigest.description
        } catch {
            throw EngineError(service: service.name,
                "service \"\(service.name)\": image \(reference) is not in berth's store (import or load it first: berth import / berth load)")
        }
    }

    // MARK: Networks and volumes of the project

    /// Creates the project's networks that don't exist yet; returns the names created.
    public func ensureNetworks(for services: [ComposeService]) throws -> [String] {
        var created: [String] = []
        let records = try networks.list()
        let existing = Set(records.map(\.name))
        // Endpoints of containers that are gone (a `down` killed before it
        // removed the networks) would hold addresses, names and host ports.
        let name = project.name
        let ours: (NetworkRecord) -> Bool = { $0.labels[ProjectLabels.project] == name }
        let gone: (String) -> Bool = { !self.containers.exists(id: $0) }
        if records.contains(where: { ours($0) && $0.endpoints.keys.contains(where: gone) }) {
            try networks.dropEndpoints(in: ours, where: gone)
        }
        let used = Set(services.flatMap { $0.networks.keys })
        for key in used.sorted() {
            let definition = project.networks[key]
            let full = Self.networkName(key, in: project)
            if definition?.external == true {
                guard existing.contains(full) else {
                    throw EngineError(service: nil, "network \(full) declared as external, but could not be found")
                }
                continue
            }
            if existing.contains(full) { continue }
            var options = NetworkOptions(isInternal: definition?.internal ?? false, labels: [
                ProjectLabels.project: project.name, "com.docker.compose.network": key,
            ].merging(definition?.labels ?? [:]) { a, _ in a })
            if let pool = definition?.ipam?.config.first {
                options.ipam.subnet = pool.subnet.flatMap { IPv4Subnet($0) }
                options.ipam.gateway = pool.gateway.flatMap { IPv4Address($0) }
                options.ipam.ipRange = pool.ipRange.flatMap { IPv4Subnet($0) }
            }
            options.ipam.enableIPv6 = definition?.enableIPv6 ?? false
            _ = try networks.create(name: full, options: options)
            created.append(full)
        }
        return created
    }

    /// `down`, at its start: the bridges' deleter is started ahead (see
    /// `LinkDeleter.prepare`), so that it is ready when they go.
    public func prepareBridgeRetirement() {
        linkDeleter.prepare()
    }

    /// `down`, once every container it removes has stopped: deletes the
    /// bridges of the project's networks that only those containers use
    /// (see `NetworkStore.retireBridges`), while their removals run.
    public func retireBridges(leaving ids: Set<String>) async throws {
        try await blocking {
            let project = self.project.name
            try self.networks.retireBridges(where: { $0.labels[ProjectLabels.project] == project }, leaving: ids,
                                            deleter: self.linkDeleter)
        }
    }

    /// Removes the project's networks (those berth labelled for it).
    public func removeNetworks() throws -> [String] {
        var removed: [String] = []
        do {
            for network in try networks.list() where network.labels[ProjectLabels.project] == project.name {
                try networks.remove(network.name, droppingEndpoints: { !self.containers.exists(id: $0) })
                removed.append(network.name)
            }
            // Every removal applied the rules; without one, apply what
            // lazy teardowns (`down`) left for later.
            if removed.isEmpty { try networks.reapplyRules() }
        } catch {
            try? networks.reapplyRules()
            throw error
        }
        return removed
    }

    /// The project's named volumes: `<project>_<name>` directories.
    public func volumeNames() -> [String] {
        project.volumes.keys.sorted().filter { project.volumes[$0]?.external != true }
            .map { Self.volumeName($0, in: project) }
    }

    // MARK: Records

    func makeRecord(_ svc: ComposeService, number: Int, name: String) throws -> ContainerRecord {
        guard let reference = svc.image else {
            throw EngineError(service: svc.name,
                "service \"\(svc.name)\" has no image (building from a Dockerfile is not available yet: set image:)")
        }
        let stored: StoredImage
        do {
            stored = try images.image(reference)
        } catch {
            throw EngineError(service: svc.name,
                "service \"\(svc.name)\": image \(reference) is not in berth's store (import or load it first: berth import / berth load)")
        }
        let layout = try images.rootfsLayout(for: stored)
        let config = stored.config.runtime
        let id = ContainerStore.newID()
        let directory = containers.directory(id)

        // Docker's rules: entrypoint resets the image's Cmd; command replaces Cmd.
        let entry: [String]
        let cmd: [String]
        if let e = svc.entrypoint {
            entry = Self.argv(e)
            cmd = svc.command.map(Self.argv) ?? []
        } else {
            entry = config.entrypoint ?? []
            cmd = svc.command.map(Self.argv) ?? config.cmd ?? []
        }
        guard !(entry + cmd).isEmpty else {
            throw EngineError(service: svc.name, "service \"\(svc.name)\": no command specified and the image has none")
        }

        // Devices before anything is created for the container: a bad entry
        // or a missing host device leaves nothing behind.
        let devices = svc.devices.map { DeviceMapping(hostPath: $0.source, containerPath: $0.target, permissions: $0.permissions) }
        do {
            for d in devices {
                try d.validate()
                _ = try d.resolve()
            }
            for rule in svc.deviceCgroupRules { _ = try DeviceRule.parse(rule) }
        } catch let e as DeviceSpecError {
            throw EngineError(service: svc.name, "service \"\(svc.name)\": \(e.message)")
        }

        var env = config.env ?? []
        if !env.contains(where: { $0.hasPrefix("PATH=") }) {
            env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        for (key, value) in svc.environment.sorted(by: { $0.key < $1.key }) {
            env.removeAll { $0.hasPrefix(key + "=") }
            if let value { env.append("\(key)=\(value)") }
        }

        var mounts: [MountSpec] = []
        let volumes = NamedVolumes(paths: paths)
        for v in svc.volumes {
            switch v.kind {
            case .bind:
                guard let source = v.source else { continue }
                if !FileManager.default.fileExists(atPath: source) {
                    guard v.createHostPath else {
                        throw EngineError(service: svc.name, "service \"\(svc.name)\": bind source \(source) does not exist")
                    }
                    try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                }
                mounts.append(MountSpec(type: "bind", source: source, destination: v.target, hostPath: source,
                                        readOnly: v.readOnly))
            case .volume:
                let volume = v.source.map { Self.volumeName($0, in: project) } ?? ContainerStore.newID()
                let seed = v.nocopy ? nil : layout.lowerDirs.map { $0 + v.target }.first {
                    FileManager.default.fileExists(atPath: $0)
                }
                let data = try volumes.prepare(volume, seed: seed)
                mounts.append(MountSpec(type: "volume", source: volume, destination: v.target, hostPath: data,
                                        readOnly: v.readOnly))
            case .tmpfs:
                var options: [String] = []
                if let size = v.tmpfsSize { options.append("size=\(size)") }
                if let mode = v.tmpfsMode { options.append("mode=" + String(mode, radix: 8)) }
                mounts.append(MountSpec(type: "tmpfs", source: "tmpfs", destination: v.target, readOnly: v.readOnly,
                                        options: options))
            default:
                throw EngineError(service: svc.name,
                    "service \"\(svc.name)\": volume type \(v.kind.rawValue) at \(v.target) is not supported")
            }
        }
        for t in svc.tmpfs {
            mounts.append(MountSpec(type: "tmpfs", source: "tmpfs", destination: t))
        }
        // The container's own /etc files, bind-mounted over the image's; a
        // container sharing another's network namespace shares its files too
        // (Docker's container mode), where that container has them.
        let sharing = try networkSharing(svc)
        let etcDirectory = sharing.map { containers.directory($0.id) } ?? directory
        for file in ["hosts", "hostname", "resolv.conf"]
        where sharing == nil || FileManager.default.fileExists(atPath: "\(etcDirectory)/\(file)") {
            mounts.append(MountSpec(type: "bind", source: "\(etcDirectory)/\(file)", destination: "/etc/\(file)",
                                    hostPath: "\(etcDirectory)/\(file)"))
        }

        var labels = config.labels ?? [:]
        labels.merge(svc.labels) { _, new in new }
        labels.merge(ProjectLabels.forContainer(project: project.name, service: svc.name, number: number,
                                                configHash: ServiceGraph.configHash(svc))) { _, new in new }
        labels[ProjectLabels.image] = reference
        if !project.configFiles.isEmpty { labels[ProjectLabels.configFiles] = project.configFiles.joined(separator: ",") }
        if !project.workingDirectory.isEmpty { labels[ProjectLabels.workingDirectory] = project.workingDirectory }

        let hostname = sharing.map { $0.host.hostname.isEmpty ? $0.shortID : $0.host.hostname }
            ?? svc.hostname ?? String(id.prefix(12))
        var host = HostSpec(hostname: hostname, mounts: mounts,
                            readOnlyRootfs: svc.readOnly, privileged: svc.privileged, capAdd: svc.capAdd,
                            capDrop: svc.capDrop, memory: svc.memLimit ?? 0,
                            nanoCPUs: Int64((svc.cpus ?? 0) * 1e9), pidsLimit: Int64(svc.pidsLimit ?? 0),
                            initProcess: svc.initProcess ?? false,
                            devices: devices.isEmpty ? nil : devices,
                            deviceCgroupRules: svc.deviceCgroupRules.isEmpty ? nil : svc.deviceCgroupRules)
        if let sharing {
            // Resolved at every start, so a restart finds the namespace again.
            host.networkMode = NetworkMode.container(id: sharing.id).text
        } else {
            host.networkMode = svc.networkMode == "host" ? "host" : "ns:" + paths.pinnedNetworkNamespace(id)
        }

        let restart: RestartPolicy = switch svc.restart {
        case .no: .no
        case .always: .always
        case .unlessStopped: .unlessStopped
        case let .onFailure(n): .onFailure(maxRetries: n ?? 0)
        }
        let stopTimeout = svc.stopGracePeriod.map { Int(($0.nanoseconds + 999_999_999) / 1_000_000_000) } ?? 10
        var record = ContainerRecord(
            id: id, name: name, image: reference, imageDigest: stored.configDigest.description,
            process: ProcessSpec(args: entry + cmd, env: env,
                                 cwd: svc.workingDir ?? config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/",
                                 user: svc.user ?? config.user ?? "", tty: svc.tty, openStdin: svc.stdinOpen,
                                 stopSignal: svc.stopSignal ?? config.stopSignal ?? "SIGTERM",
                                 stopTimeout: stopTimeout, entrypoint: entry, cmd: cmd),
            host: host, labels: labels, restart: restart, log: LogOptions(), autoRemove: false,
            rootfs: directory + "/rootfs",
            overlay: OverlaySpec(lowerDirs: layout.lowerDirs, upperDir: directory + "/diff", workDir: directory + "/work"))
        // The monitor probes it for as long as the container runs.
        record.healthcheck = Self.healthcheck(for: svc, image: config.healthcheck)
        return record
    }

    static func argv(_ command: ComposeCommand) -> [String] {
        command.isShellForm ? ["/bin/sh", "-c", command.shellText ?? command.arguments.joined(separator: " ")]
            : command.arguments
    }

    // MARK: Network wiring

    /// Pins the container's network namespace, attaches it to every network
    /// of the service (aliases: service name, container name, given
    /// aliases), publishes ports and writes /etc/hosts, hostname, resolv.conf.
    func wireNetwork(_ record: ContainerRecord, service svc: ComposeService, extraPorts: [PortRequest] = [],
                     serviceAlias: Bool = true) throws {
        let directory = containers.directory(record.id)
        // Sharing another container's namespace: nothing to wire, its /etc
        // files are mounted (see makeRecord).
        if case .container = NetworkMode(record.host.networkMode) { return }
        let extraHosts = svc.extraHosts.sorted(by: { $0.key < $1.key }).flatMap { host, addresses in
            addresses.map { (name: host, address: $0) }
        }
        let files: NetworkEtcFiles
        if svc.networkMode == "host" {
            var host = NetworkEtcFiles.forHostNetwork(hostname: record.host.hostname)
            for e in extraHosts { host.hosts += "\(e.address)\t\(e.name)\n" }
            files = host
        } else {
            var joins: [NetworkJoin] = []
            for (index, (key, attachment)) in svc.networks.sorted(by: { $0.key < $1.key }).enumerated() {
                // A network's own mac_address wins; the service's applies to the first.
                let macText = attachment.macAddress ?? (index == 0 ? svc.macAddress : nil)
                var mac: MACAddress?
                if let macText {
                    guard let parsed = MACAddress(macText.replacingOccurrences(of: "-", with: ":")) else {
                        throw EngineError(service: svc.name, "service \"\(svc.name)\": invalid MAC address \"\(macText)\"")
                    }
                    mac = parsed
                }
                joins.append(NetworkJoin(network: Self.networkName(key, in: project),
                                         aliases: (serviceAlias ? [svc.name] : []) + [record.name] + attachment.aliases,
                                         ipv4Address: attachment.ipv4Address.flatMap { IPv4Address($0) }, macAddress: mac))
            }
            let ports = joins.isEmpty ? [] : try svc.ports.map(Self.portRequest) + extraPorts
            files = try ContainerWiring(store: networks).wire(WiringRequest(
                containerID: record.id, containerName: record.name, hostname: record.host.hostname,
                namespacePath: paths.pinnedNetworkNamespace(record.id), networks: joins, ports: ports, dns: svc.dns,
                dnsSearch: svc.dnsSearch, dnsOptions: svc.dnsOpt, extraHosts: extraHosts))
        }
        try files.write(to: directory)
    }

    static func portRequest(_ p: PortMapping) throws -> PortRequest {
        var text = ""
        if let ip = p.hostIP, !ip.isEmpty { text += (ip.contains(":") ? "[\(ip)]" : ip) + ":" }
        if let published = p.published, !published.isEmpty { text += published + ":" }
        else if !text.isEmpty { text += ":" }
        text += "\(p.target)/\(p.proto)"
        return try PortRequest.parse(text)
    }

    /// Undoes wireNetwork: ports, attachments, namespace. Safe to repeat.
    @discardableResult
    func teardown(_ record: ContainerRecord, lazyLinks: Bool = false) throws -> [String] {
        // `down` (lazyLinks) removes the project's networks next, whose
        // removal applies the rules once for all (`removeNetworks` also when
        // it fails) and drops the endpoints of the removed containers with
        // the records: those are not rewritten one removal at a time.
        let project = project.name
        return try NetworkAttacher(store: networks).release(
            containerID: record.id, namespaceFile: paths.pinnedNetworkNamespace(record.id), lazyLinks: lazyLinks,
            removedNext: { lazyLinks && $0.labels[ProjectLabels.project] == project })
    }

    // MARK: Healthchecks

    /// The healthcheck the monitor runs: the service's, else the image's
    /// HEALTHCHECK; a service `healthcheck` without `test` keeps the image's
    /// test with its own timings; `disable: true` or `NONE` means none.
    static func healthcheck(for service: ComposeService, image: OCI.Healthcheck? = nil) -> ContainerHealthcheck? {
        let spec = service.healthcheck
        if spec?.disabled == true { return nil }
        let test = (spec?.test.isEmpty == false ? spec?.test : nil) ?? image?.test ?? []
        guard !test.isEmpty, test.first != "NONE" else { return nil }
        let argv: [String]
        switch test.first {
        case "CMD": argv = Array(test.dropFirst())
        case "CMD-SHELL": argv = ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")]
        default: argv = ["/bin/sh", "-c", test.joined(separator: " ")]
        }
        guard !argv.isEmpty else { return nil }
        func ns(_ d: ComposeDuration?, _ fallback: Int64?) -> UInt64 {
            if let d { return UInt64(max(0, d.nanoseconds)) }
            return UInt64(max(0, fallback ?? 0))
        }
        let startInterval: UInt64? = spec?.startInterval.map { UInt64(max(0, $0.nanoseconds)) }
            ?? image?.startInterval.flatMap { $0 > 0 ? UInt64($0) : nil }
        let policy = HealthPolicy(interval: ns(spec?.interval, image?.interval), timeout: ns(spec?.timeout, image?.timeout),
                                  retries: spec?.retries ?? image?.retries ?? 3,
                                  startPeriod: ns(spec?.startPeriod, image?.startPeriod), startInterval: startInterval)
        return ContainerHealthcheck(argv: argv, text: "[\(test.map { "\"\($0)\"" }.joined(separator: ", "))]",
                                    policy: policy)
    }
}

/// A problem `up`/`down` met, named by service where there is one.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var service: String?
    public var message: String

    public init(service: String?, _ message: String) {
        self.service = service
        self.message = message
    }

    public var description: String { message }
}
