import ArgumentParser
import Diagnostics
import ImageStore
import OCI
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth run`: create a container and start it; without `-d`, attach and
/// exit with the container's exit code (125 when berth fails, 126 when the
/// command cannot be executed, 127 when it is not found).
/// Synchronous from start to end (it blocks in poll, never on a task), so
/// it runs on the main thread: no concurrency runtime threads are started.
struct RunCommand: MainThreadCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and run a new container from an image",
        helpNames: [.long])

    @OptionGroup var state: StateOptions
    @OptionGroup var create: CreateOptions

    @Flag(name: .run(.detach), help: "Run container in background and print container ID")
    var detach = false
    @Flag(name: .run(.autoRemove), help: "Automatically remove the container when it exits")
    var autoRemove = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("IMAGE [COMMAND] [ARG...]", valueName: "image"))
    var imageAndCommand: [String] = []

    func run() throws {
        try requireRoot("berth run")
        guard let image = imageAndCommand.first else {
            throw UserError("\"berth run\" requires at least 1 argument.\nSee 'berth run --help'.", exitCode: 125)
        }
        if create.tty && create.interactive && !detach { try requireTerminalInput() }
        let ctx = ContainerContext(state)
        // Resolved once (each `state.paths` reads the whole environment).
        let paths = ctx.store.paths
        let (record, networking) = try translated(exitCode: 125) {
            try create.makeRecord(image: image, command: Array(imageAndCommand.dropFirst()),
                                  autoRemove: autoRemove, paths: paths)
        }
        // The monitor was spawned before the command line was parsed
        // (`RunMonitorAhead`) and has been starting up on the other CPU
        // meanwhile. In the foreground it reads the record once released
        // and starts the process when this command attaches; detached, it is
        // released after the network is set up and starts the process at
        // once. Until released, any way out of here (an error, a signal, or
        // this process's exit: EOF on its socket) ends it having touched nothing.
        let launch: ContainerOperations.MonitorLaunch
        do {
            launch = try RunMonitorAhead.take()
                ?? ContainerOperations.spawnMonitorAwaitingRecord(executable: ctx.operations.monitorExecutable)
        } catch {
            throw UserError("Error response from daemon: failed to create task for container: \(error)", exitCode: 125)
        }
        var released = false
        defer { if !released { launch.cancel() } }
        let created = try translated(exitCode: 125) { try ctx.store.create(record) }
        if !detach {
            launch.release(id: created.id, paths: paths, deferStart: true)
            released = true
        }
        do {
            try networking.finish(created, directory: ctx.store.directory(created.id), paths: paths)
        } catch {
            // The monitor may have created the cgroup already: `remove`
            // (monitor gone) takes it too.
            launch.cancel()
            if (try? ctx.operations.remove(created, force: true)) == nil { try? ctx.store.remove(id: created.id) }
            throw UserError("Error response from daemon: failed to set up container networking: \(error)", exitCode: 125)
        }
        if detach {
            launch.release(id: created.id, paths: paths, deferStart: false)
            released = true
        }
        if case .failed(let code, let message) = launch.outcome() {
            if created.autoRemove {
                try? ctx.operations.remove(created, force: true)
                try? RunNetworking.release(created, paths: paths)
            }
            throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
        }
        if detach {
            print(created.id)
            return
        }
        // The monitor removes a --rm container (and unpins its namespace,
        // which takes its veth); the network bookkeeping is released here,
        // while the monitor removes the rest (`removing`, sent once the
        // container's init is reaped; the session ends at the final exit).
        // After an exit the monitor reported, the container's processes are
        // gone and its namespace is (being) unpinned: the kernel deletes the
        // veth with it and nothing here waits for that (its RCU grace
        // periods took 1–8 ms of every `run --rm`). Otherwise (the monitor
        // lost) the veth is deleted and awaited as by `rm`.
        var processesGone = false
        var networkReleased = false
        defer {
            if created.autoRemove && !networkReleased {
                try? RunNetworking.release(created, paths: paths, awaitLinks: !processesGone)
            }
        }
        let result = try translated(exitCode: 125) {
            try AttachClient.attach(socketPath: ctx.store.socketPath(created.id), stdin: create.interactive,
                                    tty: create.tty) { _ in
                guard created.autoRemove, !networkReleased else { return }
                try? RunNetworking.release(created, paths: paths, awaitLinks: false)
                networkReleased = true
            }
        }
        switch result {
        case .exited(let code):
            processesGone = true
            throw ExitCode(code)
        case .failed(let code, let message):
            throw UserError("Error response from daemon: failed to create task for container: \(message)", exitCode: code)
        case .disconnected, .detached:  // (no detach keys are given here)
            let snap = try? ctx.operations.snapshot(created)
            if let snap, snap.state.startedAt.isZero {
                throw UserError("Error response from daemon: berth-monitor exited before starting the container", exitCode: 125)
            }
            let code = (try? ctx.operations.wait(created)) ?? 125
            throw ExitCode(code)
        }
    }
}

/// The flags `run` (and later `create`) share: Docker's names, from the
/// `RunOption` table (`RunFastPath` reads them without ArgumentParser).
struct CreateOptions: ParsableArguments {
    /// The values of `--restart` and `--stop-timeout` when they are not given.
    static let defaultRestart = "no"
    static let defaultStopTimeout = 10

    @Option(name: .run(.name), help: "Assign a name to the container") var name: String?
    @Flag(name: .run(.interactive), help: "Keep STDIN open even if not attached") var interactive = false
    @Flag(name: .run(.tty), help: "Allocate a pseudo-TTY") var tty = false
    @Option(name: .run(.env), help: "Set environment variables") var env: [String] = []
    @Option(name: .run(.envFile), help: "Read in a file of environment variables") var envFile: [String] = []
    @Option(name: .run(.volume), help: "Bind mount a volume") var volume: [String] = []
    @Option(name: .run(.mount), help: "Attach a filesystem mount to the container") var mount: [String] = []
    @Option(name: .run(.tmpfs), help: "Mount a tmpfs directory") var tmpfs: [String] = []
    @Option(name: .run(.workdir), help: "Working directory inside the container") var workdir: String?
    @Option(name: .run(.user), help: "Username or UID (format: <name|uid>[:<group|gid>])") var user: String?
    @Option(name: .run(.entrypoint), help: "Overwrite the default ENTRYPOINT of the image") var entrypoint: String?
    @Flag(name: .run(.`init`), help: "Run an init inside the container that forwards signals and reaps processes") var `init` = false
    @Flag(name: .run(.readOnly), help: "Mount the container's root filesystem as read only") var readOnly = false
    @Option(name: .run(.memory), help: "Memory limit") var memory: String?
    @Option(name: .run(.cpus), help: "Number of CPUs") var cpus: Double?
    @Option(name: .run(.pidsLimit), help: "Tune container pids limit (set -1 for unlimited)") var pidsLimit: Int64?
    @Option(name: .run(.capAdd), help: "Add Linux capabilities") var capAdd: [String] = []
    @Option(name: .run(.capDrop), help: "Drop Linux capabilities") var capDrop: [String] = []
    @Flag(name: .run(.privileged), help: "Give extended privileges to this container") var privileged = false
    @Option(name: .run(.device), help: "Add a host device to the container (HOST[:CONTAINER[:PERMS]])") var device: [String] = []
    @Option(name: .run(.deviceCgroupRule), help: "Add a rule to the cgroup allowed devices list")
    var deviceCgroupRule: [String] = []
    @Option(name: .run(.restart), help: "Restart policy to apply when a container exits")
    var restart: String = CreateOptions.defaultRestart
    @Option(name: .run(.hostname), help: "Container host name") var hostname: String?
    @Option(name: .run(.network),
            help: "Connect a container to a network (bridge, a network name, none, host or container:NAME)") var network: String?
    @Option(name: .run(.networkAlias), help: "Add network-scoped alias for the container")
    var networkAlias: [String] = []
    @Option(name: .run(.ip), help: "IPv4 address (e.g., 172.30.100.104)") var ip: String?
    @Option(name: .run(.macAddress), help: "Container MAC address (e.g., 92:d0:c6:0a:29:33)") var macAddress: String?
    @Option(name: .run(.publish), help: "Publish a container's port(s) to the host") var publish: [String] = []
    @Flag(name: .run(.publishAll), help: "Publish all exposed ports to random ports")
    var publishAll = false
    @Option(name: .run(.dns), help: "Set custom DNS servers") var dns: [String] = []
    @Option(name: .run(.dnsSearch), help: "Set custom DNS search domains") var dnsSearch: [String] = []
    @Option(name: .run(.dnsOption), help: "Set DNS options") var dnsOption: [String] = []
    @Option(name: .run(.addHost), help: "Add a custom host-to-IP mapping (host:ip)") var addHost: [String] = []
    @Option(name: .run(.expose), help: "Expose a port or a range of ports") var expose: [String] = []
    @Option(name: .run(.label), help: "Set meta data on a container") var label: [String] = []
    @Option(name: .run(.logOpt), help: "Log driver options (max-size, max-file)") var logOpt: [String] = []
    @Option(name: .run(.stopSignal), help: "Signal to stop the container") var stopSignalFlag: String?
    var stopSignal: String { stopSignalFlag ?? "SIGTERM" }
    var stopSignalSet: Bool { stopSignalFlag != nil }
    @Option(name: .run(.stopTimeout), help: "Timeout (in seconds) to stop a container")
    var stopTimeout: Int = CreateOptions.defaultStopTimeout
    /// Internal (tests, until images come from the image store): use this
    /// directory as the container's root filesystem.
    @Option(name: .run(.rootfs), help: ArgumentHelp(visibility: .private)) var rootfs: String?

    func makeRecord(image: String, command: [String], autoRemove: Bool,
                    paths: StatePaths) throws -> (ContainerRecord, RunNetworking) {
        let id = ContainerStore.newID()
        guard let policy = RestartPolicy.parse(restart) else {
            throw UserError("invalid restart policy \"\(restart)\"", exitCode: 125)
        }
        if autoRemove && policy != .no {
            throw UserError("Conflicting options: --restart and --rm", exitCode: 125)
        }
        guard SignalName.parse(stopSignal) != nil else {
            throw UserError("invalid stop signal: \(stopSignal)", exitCode: 125)
        }
        // Devices are checked before anything is created: a bad spec or a
        // missing host device leaves nothing behind.
        let devices: [DeviceMapping]
        do {
            devices = try device.map { spec throws(DeviceSpecError) in try DeviceMapping.parse(spec) }
            for rule in deviceCgroupRule { _ = try DeviceRule.parse(rule) }
            for d in devices { _ = try d.resolve() }
        } catch let e as DeviceSpecError {
            throw UserError(e.message, exitCode: 125)
        }
        let containerDir = ContainerStore(paths: paths).directory(id)
        // The image: its config and the layers the root is assembled from.
        let config: OCI.ContainerConfig
        let rootPath: String
        var overlay: OverlaySpec?
        var digest = ""
        var seedDirs: [String]
        if let dir = rootfs {
            guard StateFile.isDirectory(dir) else {
                throw UserError("root filesystem \(dir) is not a directory", exitCode: 125)
            }
            config = OCI.ContainerConfig()
            rootPath = dir
            seedDirs = [dir]
        } else {
            let store = ImageStore(paths: paths)
            let stored: StoredImage
            do {
                stored = try store.image(image)
            } catch ImageStoreError.unknownImage {
                throw UserError("Unable to find image '\(image)' locally (berth pulls with \"berth pull\"; load or import it first)",
                                exitCode: 125)
            }
            let layout = try store.rootfsLayout(for: stored)
            config = stored.config.runtime
            digest = stored.configDigest.description
            rootPath = containerDir + "/rootfs"
            overlay = OverlaySpec(lowerDirs: layout.lowerDirs, upperDir: containerDir + "/diff", workDir: containerDir + "/work")
            seedDirs = layout.lowerDirs
        }
        // Docker: --entrypoint resets the image's CMD; a command replaces CMD.
        let entry: [String]
        let cmd: [String]
        if let entrypoint {
            entry = entrypoint.isEmpty ? [] : [entrypoint]
            cmd = command
        } else {
            entry = config.entrypoint ?? []
            cmd = command.isEmpty ? (config.cmd ?? []) : command
        }
        let args = entry + cmd
        if args.isEmpty { throw UserError("Error response from daemon: No command specified", exitCode: 125) }

        var environment = config.env ?? []
        if !environment.contains(where: { $0.hasPrefix("PATH=") }) {
            environment.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        for file in envFile { environment += try EnvFile.parse(path: file) }
        environment += EnvFile.resolve(env)
        if tty { environment.append("TERM=xterm") }
        environment = EnvFile.deduplicated(environment)

        var mounts: [MountSpec] = []
        let volumes = NamedVolumes(paths: paths)
        for v in volume { mounts.append(try MountFlags.volume(v, layers: seedDirs, volumes: volumes)) }
        for m in mount { mounts.append(try MountFlags.mount(m, layers: seedDirs, volumes: volumes)) }
        for t in tmpfs { mounts.append(MountFlags.tmpfs(t)) }
        // The image's VOLUMEs not covered by a mount become anonymous volumes.
        for path in (config.volumes ?? [:]).keys.sorted() where !mounts.contains(where: { $0.destination == path }) {
            mounts.append(try MountFlags.volume(path, layers: seedDirs, volumes: volumes))
        }

        let flags = RunNetworking.Flags(
            network: network, hostname: hostname, macAddress: macAddress, ip: ip, aliases: networkAlias, publish: publish,
            publishAll: publishAll, exposed: Array((config.exposedPorts ?? [:]).keys) + expose, dns: dns,
            dnsSearch: dnsSearch, dnsOptions: dnsOption, addHosts: addHost)
        let networking = try RunNetworking.resolve(flags, id: id, containerDirectory: containerDir, paths: paths,
                                                   store: ContainerStore(paths: paths))
        // A user's own mount of /etc/hosts (…) wins, as with Docker.
        mounts += networking.mounts.filter { n in !mounts.contains { $0.destination == n.destination } }

        var labels: [String: String] = config.labels ?? [:]
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        var log = LogOptions()
        for o in logOpt {
            let parts = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw UserError("invalid log opt \(o)", exitCode: 125) }
            switch parts[0] {
            case "max-size":
                guard let n = ByteCount.parse(parts[1]) else { throw UserError("invalid max-size \(parts[1])", exitCode: 125) }
                log.maxSize = n
            case "max-file":
                guard let n = Int(parts[1]), n >= 1 else { throw UserError("invalid max-file \(parts[1])", exitCode: 125) }
                log.maxFile = n
            default: throw UserError("unknown log opt '\(parts[0])' for json-file log driver", exitCode: 125)
            }
        }
        var memoryBytes: Int64 = 0
        if let memory {
            guard let n = ByteCount.parse(memory) else { throw UserError("invalid memory limit \(memory)", exitCode: 125) }
            memoryBytes = n
        }
        let record = ContainerRecord(
            id: id, name: name ?? "", image: image,
            imageDigest: digest,
            process: ProcessSpec(args: args, env: environment, cwd: workdir ?? config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/",
                                 user: user ?? config.user ?? "", tty: tty, openStdin: interactive,
                                 stopSignal: stopSignalSet ? stopSignal : (config.stopSignal ?? stopSignal),
                                 stopTimeout: stopTimeout, entrypoint: entry, cmd: cmd),
            host: HostSpec(hostname: networking.hostname, mounts: mounts, readOnlyRootfs: readOnly,
                           privileged: privileged, capAdd: capAdd, capDrop: capDrop, memory: memoryBytes,
                           nanoCPUs: Int64((cpus ?? 0) * 1e9), pidsLimit: pidsLimit ?? 0, initProcess: `init`,
                           networkMode: networking.mode.text,
                           devices: devices.isEmpty ? nil : devices,
                           deviceCgroupRules: deviceCgroupRule.isEmpty ? nil : deviceCgroupRule),
            labels: labels, restart: policy, log: log, autoRemove: autoRemove, rootfs: rootPath, overlay: overlay)
        return (record, networking)
    }
}

/// `--env-file` files: `KEY=value` lines, `#` comments, bare `KEY` taken
/// from the environment.
enum EnvFile {
    /// `-e` values: `KEY=value` as given, a bare `KEY` from berth's own
    /// environment (left out when unset there).
    static func resolve(_ flags: [String]) -> [String] {
        let host = processEnvironment()
        return flags.compactMap { e in e.contains("=") ? e : host[e].map { "\(e)=\($0)" } }
    }

    static func parse(path: String) throws -> [String] {
        guard let text = try StateFile.readText(path) else {
            throw UserError("open \(path): no such file or directory", exitCode: 125)
        }
        let host = processEnvironment()
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if line.contains("=") { out.append(String(trimmed)) } else if let v = host[String(trimmed)] {
                out.append("\(trimmed)=\(v)")
            }
        }
        return out
    }

    /// Later assignments win; the position of the first one is kept.
    static func deduplicated(_ env: [String]) -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        for e in env {
            let key = String(e.prefix(while: { $0 != "=" }))
            if values[key] == nil { order.append(key) }
            values[key] = e
        }
        return order.compactMap { values[$0] }
    }
}

/// `-v`, `--mount` and `--tmpfs` into mount specs.
enum MountFlags {
    /// `-v /host:/ctr[:ro]`, `-v name:/ctr[:ro]`, `-v /ctr` (anonymous).
    static func volume(_ spec: String, layers: [String], volumes: NamedVolumes) throws -> MountSpec {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var options: [String] = []
        let source: String, destination: String
        switch parts.count {
        case 1: source = ""; destination = parts[0]
        case 2: source = parts[0]; destination = parts[1]
        case 3: source = parts[0]; destination = parts[1]; options = parts[2].split(separator: ",").map(String.init)
        default: throw UserError("invalid volume specification: '\(spec)'", exitCode: 125)
        }
        guard destination.hasPrefix("/") else {
            throw UserError("invalid volume specification: '\(spec)': invalid mount config: mount path must be absolute",
                            exitCode: 125)
        }
        for o in options where !["ro", "rw", "z", "Z", "rprivate", "private", "rshared", "shared", "rslave", "slave", "nocopy"].contains(o) {
            throw UserError("invalid volume specification: '\(spec)': invalid mode: \(o)", exitCode: 125)
        }
        let readOnly = options.contains("ro")
        if source.hasPrefix("/") {
            // Compose and docker -v create a missing host directory.
            try StateFile.makeDirectories(source)
            return MountSpec(type: "bind", source: source, destination: destination, readOnly: readOnly, options: options)
        }
        let name = source.isEmpty ? ContainerStore.newID() : source
        guard NamedVolumes.isValidName(name) else {
            throw UserError("create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path",
                            exitCode: 125)
        }
        // Seeded from the top-most image layer that has content at the path.
        let seed = layers.map { $0 + destination }.first { StateFile.isDirectory($0) }
        let data = try volumes.prepare(name, seed: options.contains("nocopy") ? nil : seed)
        return MountSpec(type: "volume", source: name, destination: destination, hostPath: data, readOnly: readOnly)
    }

    /// `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly]`.
    static func mount(_ spec: String, layers: [String], volumes: NamedVolumes) throws -> MountSpec {
        var type = "volume", source = "", target = "", readOnly = false
        var tmpfsOptions: [String] = []
        for field in spec.split(separator: ",").map(String.init) {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv[0], value = kv.count > 1 ? kv[1] : ""
            switch key {
            case "type": type = value
            case "source", "src": source = value
            case "target", "destination", "dst": target = value
            case "readonly", "ro": readOnly = value.isEmpty || value == "true" || value == "1"
            case "tmpfs-size": tmpfsOptions.append("size=\(value)")
            case "tmpfs-mode": tmpfsOptions.append("mode=\(value)")
            default: throw UserError("invalid field '\(key)' must be a key=value pair", exitCode: 125)
            }
        }
        guard target.hasPrefix("/") else { throw UserError("invalid mount config: target must be absolute", exitCode: 125) }
        switch type {
        case "bind":
            guard StateFile.exists(source) else {
                throw UserError("invalid mount config for type \"bind\": bind source path does not exist: \(source)", exitCode: 125)
            }
            return MountSpec(type: "bind", source: source, destination: target, readOnly: readOnly)
        case "volume":
            return try volume((source.isEmpty ? "" : source + ":") + target + (readOnly ? ":ro" : ""), layers: layers, volumes: volumes)
        case "tmpfs":
            return MountSpec(type: "tmpfs", source: "", destination: target, readOnly: readOnly, options: tmpfsOptions)
        default:
            throw UserError("invalid mount type \"\(type)\"", exitCode: 125)
        }
    }

    /// `--tmpfs /path[:size=64m,mode=1777]`.
    static func tmpfs(_ spec: String) -> MountSpec {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let options = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
        return MountSpec(type: "tmpfs", source: "", destination: parts[0], options: options)
    }
}
