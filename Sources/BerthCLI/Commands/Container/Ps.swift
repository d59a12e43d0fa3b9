import ArgumentParser
import Diagnostics
import Networking
import Runtime

/// `berth ps`: Docker's columns, `-a`, `-q`, `--format json`, `--filter`.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers")

    struct Options: ParsableArguments {
        @Flag(name: .shortAndLong, help: "Show all containers (default shows just running)") var all = false
        @Flag(name: .shortAndLong, help: "Only display container IDs") var quiet = false
        @Option(name: .long, help: "Format output using a custom template: 'table' or 'json'") var format: String = "table"
        @Option(name: .shortAndLong, help: "Filter output based on conditions provided (name, label, status, id)")
        var filter: [String] = []
        @Flag(name: .customLong("no-trunc"), help: "Don't truncate output") var noTrunc = false
    }

    @OptionGroup var options: Options
    @OptionGroup var state: StateOptions

    func run() throws { try PsCommand.list(options, state: state) }

    static func list(_ options: Options, state: StateOptions) throws {
        let ctx = ContainerContext(state)
        let filters = try ContainerFilter.parse(options.filter)
        var rows: [ContainerSnapshot] = []
        for record in try ctx.store.all().reversed() {  // newest first, as Docker lists
            guard let snap = try? ctx.operations.snapshot(record) else { continue }
            let explicitStatus = filters.contains { $0.key == "status" }
            if !options.all && !explicitStatus && !snap.state.isActive { continue }
            if !ContainerFilter.matches(filters, snap) { continue }
            rows.append(snap)
        }
        if options.quiet {
            for r in rows { print(options.noTrunc ? r.record.id : r.record.shortID) }
            return
        }
        let now = Timestamp.now()
        if options.format == "json" || options.format == "{{json .}}" {
            for r in rows { print(ContainerPresentation.psJSON(r, now: now).compact) }
            return
        }
        guard options.format == "table" else {
            throw UserError("unsupported --format \"\(options.format)\": expected table or json")
        }
        // Published ports of running containers, from the network records.
        var ports: [String: [PortBinding]] = [:]
        for n in (try? NetworkStore(paths: state.paths).list()) ?? [] {
            for (id, e) in n.endpoints where !e.ports.isEmpty { ports[id, default: []] += e.ports }
        }
        var table = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        for r in rows {
            var command = "\"" + r.record.process.args.joined(separator: " ") + "\""
            if !options.noTrunc && command.count > 20 { command = String(command.prefix(19)) + "…\"" }
            table.append([options.noTrunc ? r.record.id : r.record.shortID, r.record.image, command,
                          HumanDuration.format(now - r.record.created) + " ago",
                          ContainerPresentation.status(r.state, now: now),
                          r.state.isActive ? (ports[r.record.id] ?? []).map(\.description).joined(separator: ", ") : "",
                          r.record.name])
        }
        writeStdout(renderTable(table))
    }
}

/// `--filter key=value`: same keys OR, different keys AND.
struct ContainerFilter: Equatable {
    var key: String
    var value: String

    static let keys = ["name", "label", "status", "id"]

    static func parse(_ specs: [String]) throws -> [ContainerFilter] {
        try specs.map { spec in
            let kv = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, keys.contains(kv[0]) else {
                throw UserError("invalid filter '\(spec)'")
            }
            if kv[0] == "status" && ContainerStatus(rawValue: kv[1]) == nil {
                throw UserError("invalid filter 'status=\(kv[1])'")
            }
            return ContainerFilter(key: kv[0], value: kv[1])
        }
    }

    static func matches(_ filters: [ContainerFilter], _ snap: ContainerSnapshot) -> Bool {
        let grouped = Dictionary(grouping: filters, by: \.key)
        for (key, group) in grouped {
            let ok = group.contains { f in
                switch key {
                case "name": return snap.record.name.contains(f.value)
                case "id": return snap.record.id.hasPrefix(f.value)
                case "status": return snap.state.status.rawValue == f.value
                case "label":
                    let kv = f.value.split(separator: "=", maxSplits: 1).map(String.init)
                    guard let v = snap.record.labels[kv[0]] else { return false }
                    return kv.count == 1 || v == kv[1]
                default: return false
                }
            }
            if !ok { return false }
        }
        return true
    }
}

/// How containers are shown: `ps` status text, `ps --format json`, `inspect`.
enum ContainerPresentation {
    static func status(_ s: ContainerState, now: Timestamp) -> String {
        switch s.status {
        case .created: return "Created"
        case .running:
            // Docker's health suffix: (health: starting), (healthy), (unhealthy).
            let health = s.health.map { $0.status == "starting" ? " (health: starting)" : " (\($0.status))" } ?? ""
            return "Up " + HumanDuration.format(now - s.startedAt) + health
        case .paused: return "Up " + HumanDuration.format(now - s.startedAt) + " (Paused)"
        case .restarting: return "Restarting (\(s.exitCode)) " + HumanDuration.format(now - s.finishedAt) + " ago"
        case .removing: return "Removal In Progress"
        case .exited: return "Exited (\(s.exitCode)) " + HumanDuration.format(now - s.finishedAt) + " ago"
        case .dead: return "Dead"
        }
    }

    static func psJSON(_ r: ContainerSnapshot, now: Timestamp) -> RecordJSON {
        let labels = r.record.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let mounts = r.record.host.mounts.map { $0.type == "volume" ? $0.source : $0.hostPath }.joined(separator: ",")
        return .object([
            ("Command", .string("\"" + r.record.process.args.joined(separator: " ") + "\"")),
            ("CreatedAt", .string(r.record.created.description)),
            ("ID", .string(r.record.shortID)),
            ("Image", .string(r.record.image)),
            ("Labels", .string(labels)),
            ("LocalVolumes", .string(String(r.record.host.mounts.filter { $0.type == "volume" }.count))),
            ("Mounts", .string(mounts)),
            ("Names", .string(r.record.name)),
            ("Networks", .string(r.record.host.networkMode)),
            ("Ports", .string("")),
            ("RunningFor", .string(HumanDuration.format(now - r.record.created) + " ago")),
            ("Size", .string("0B")),
            ("State", .string(r.state.status.rawValue)),
            ("Status", .string(status(r.state, now: now))),
        ])
    }

    static func inspect(_ r: ContainerSnapshot, logPath: String) -> RecordJSON {
        let rec = r.record, s = r.state
        func strings(_ a: [String]) -> RecordJSON { .array(a.map { .string($0) }) }
        let labels = RecordJSON.object(rec.labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        let mounts: [RecordJSON] = rec.host.mounts.map { m in
            var fields: [(String, RecordJSON)] = [("Type", .string(m.type))]
            if m.type == "volume" { fields.append(("Name", .string(m.source))) }
            fields += [("Source", .string(m.hostPath)), ("Destination", .string(m.destination)),
                       ("Mode", .string(m.readOnly ? "ro" : "")), ("RW", .bool(!m.readOnly)),
                       ("Propagation", .string(m.type == "bind" ? "rprivate" : ""))]
            return .object(fields)
        }
        return .object([
            ("Id", .string(rec.id)),
            ("Created", .string(rec.created.description)),
            ("Path", .string(rec.process.args.first ?? "")),
            ("Args", strings(Array(rec.process.args.dropFirst()))),
            ("State", .object([
                ("Status", .string(s.status.rawValue)),
                ("Running", .bool(s.isActive)),
                ("Paused", .bool(s.status == .paused)),
                ("Restarting", .bool(s.status == .restarting)),
                ("OOMKilled", .bool(s.oomKilled)),
                ("Dead", .bool(s.status == .dead)),
                ("Pid", .int(Int64(s.pid))),
                ("ExitCode", .int(Int64(s.exitCode))),
                ("Error", .string(s.error.isEmpty && s.monitorLost ? "berth-monitor is gone; the container runs unmonitored" : s.error)),
                ("StartedAt", .string(s.startedAt.description)),
                ("FinishedAt", .string(s.finishedAt.description)),
            ])),
            ("Image", .string(rec.imageDigest.isEmpty ? rec.image : rec.imageDigest)),
            ("LogPath", .string(logPath)),
            ("Name", .string("/" + rec.name)),
            ("RestartCount", .int(Int64(s.restartCount))),
            ("Driver", .string("overlay2")),
            ("Platform", .string("linux")),
            ("HostConfig", .object([
                ("Binds", strings(rec.host.mounts.filter { $0.type == "bind" }.map { "\($0.hostPath):\($0.destination)" + ($0.readOnly ? ":ro" : "") })),
                ("LogConfig", .object([("Type", .string("json-file")), ("Config", .object(
                    (rec.log.maxSize > 0 ? [("max-size", RecordJSON.string(String(rec.log.maxSize)))] : []) +
                    (rec.log.maxFile > 1 ? [("max-file", RecordJSON.string(String(rec.log.maxFile)))] : [])))])),
                ("NetworkMode", .string(rec.host.networkMode)),
                ("RestartPolicy", .object([("Name", .string(rec.restart.name)),
                                           ("MaximumRetryCount", .int(Int64(rec.restart.maximumRetryCount)))])),
                ("AutoRemove", .bool(rec.autoRemove)),
                ("CapAdd", strings(rec.host.capAdd)),
                ("CapDrop", strings(rec.host.capDrop)),
                ("Privileged", .bool(rec.host.privileged)),
                ("ReadonlyRootfs", .bool(rec.host.readOnlyRootfs)),
                ("Tmpfs", .object(rec.host.mounts.filter { $0.type == "tmpfs" }.map { ($0.destination, .string($0.options.joined(separator: ","))) })),
                ("Memory", .int(rec.host.memory)),
                ("NanoCpus", .int(rec.host.nanoCPUs)),
                ("PidsLimit", rec.host.pidsLimit > 0 ? .int(rec.host.pidsLimit) : .null),
                ("Init", .bool(rec.host.initProcess)),
                ("Devices", .array((rec.host.devices ?? []).map { d in
                    .object([("PathOnHost", .string(d.hostPath)), ("PathInContainer", .string(d.containerPath)),
                             ("CgroupPermissions", .string(d.permissions))])
                })),
                ("DeviceCgroupRules", rec.host.deviceCgroupRules.map(strings) ?? .null),
            ])),
            ("Mounts", .array(mounts)),
            ("Config", .object([
                ("Hostname", .string(rec.host.hostname.isEmpty ? rec.shortID : rec.host.hostname)),
                ("User", .string(rec.process.user)),
                ("Tty", .bool(rec.process.tty)),
                ("OpenStdin", .bool(rec.process.openStdin)),
                ("Env", strings(rec.process.env)),
                ("Cmd", rec.process.cmd.isEmpty ? .null : strings(rec.process.cmd)),
                ("Image", .string(rec.image)),
                ("WorkingDir", .string(rec.process.cwd == "/" ? "" : rec.process.cwd)),
                ("Entrypoint", rec.process.entrypoint.isEmpty ? .null : strings(rec.process.entrypoint)),
                ("Labels", labels),
                ("StopSignal", .string(rec.process.stopSignal)),
                ("StopTimeout", .int(Int64(rec.process.stopTimeout))),
            ])),
        ])
    }
}
