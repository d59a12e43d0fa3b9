import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The container's standard streams as the monitor hands them over.
/// -1 means /dev/null. With `tty` the three are ignored: the process gets a
/// terminal of `windowSize` from the container's own devpts, and the
/// starter returns its master (`StartedProcess.ptyMaster`).
public struct ProcessStdio: Sendable {
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    public var tty: Bool
    public var windowSize: WindowSize

    public init(stdin: Int32, stdout: Int32, stderr: Int32, tty: Bool, windowSize: WindowSize = .standard) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        self.windowSize = windowSize
    }
}

/// A started container process.
public struct StartedProcess: Sendable {
    public var pid: Int32
    /// -1 when pidfds are unavailable.
    public var pidfd: Int32
    /// The container's cgroup (OOM detection, freeze, stats, cleanup).
    public var cgroup: Cgroup?
    /// With a tty: the terminal's master (close-on-exec, the monitor's); else -1.
    public var ptyMaster: Int32

    public init(pid: Int32, pidfd: Int32, cgroup: Cgroup? = nil, ptyMaster: Int32 = -1) {
        self.pid = pid
        self.pidfd = pidfd
        self.cgroup = cgroup
        self.ptyMaster = ptyMaster
    }
}

/// Why a container process could not be started, with Docker's exit code:
/// 127 command not found, 126 cannot execute, 125 anything else.
public struct StartFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var exitCode: Int32
    public var message: String

    public init(exitCode: Int32, message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    public var description: String { message }

    /// The failure for an exec errno, worded like Docker's.
    public static func exec(_ command: String, errno e: Int32) -> StartFailure {
        switch e {
        case ENOENT where !command.contains("/"):
            return StartFailure(exitCode: 127, message: "exec: \"\(command)\": executable file not found in $PATH")
        case ENOENT, ENOTDIR:
            return StartFailure(exitCode: 127, message: "exec: \"\(command)\": stat \(command): no such file or directory")
        case EACCES, ENOEXEC, EISDIR, EPERM:
            return StartFailure(exitCode: 126, message: "exec: \"\(command)\": permission denied")
        default:
            return StartFailure(exitCode: 126, message: "exec: \"\(command)\": \(SystemError.name(of: e))")
        }
    }
}

/// The one place where the monitor starts the container's process. The
/// monitor never creates namespaces or mounts itself (tests can start an
/// ordinary process through their own implementation).
public protocol ContainerStarter {
    /// `settingUp` gets the process's pid while it still sets itself up
    /// (see `Launcher.spawn`'s `whileSettingUp`); the start may fail after it.
    func start(_ record: ContainerRecord, stdio: ProcessStdio,
               settingUp: (Int32) -> Void) throws(StartFailure) -> StartedProcess

    /// Work for the next `start` of `record` that has no effect outside
    /// the container's own directory, done while the monitor waits for
    /// its first attach (a `--defer-start` monitor is idle then). Errors
    /// are left for `start` to report.
    func prepare(_ record: ContainerRecord)

    /// The first part of `prepare`, done as soon as the record is read,
    /// before the monitor sets itself up (its socket, its log); `prepare`
    /// finishes it.
    func begin(_ record: ContainerRecord)

    /// Undoes a `begin` or `prepare` that no `start` used (the monitor exits first).
    func discardPrepared()
}

extension ContainerStarter {
    public func prepare(_ record: ContainerRecord) {}
    public func begin(_ record: ContainerRecord) {}
    public func discardPrepared() {}
}

/// Starts the container through the runtime core: `LaunchPlan.make` from
/// the record, then `Launcher.spawn` (namespaces, overlay root, mounts,
/// cgroup with the record's limits, Docker's capabilities and seccomp).
public final class LauncherStarter: ContainerStarter {
    /// Resolves `container:<id>` network modes (at every start: the other
    /// container may have been restarted with a new process).
    let store: ContainerStore?
    /// From `prepare`: the next start of this record, ready up to the clone.
    private var prepared: (record: ContainerRecord, launch: PreparedLaunch)?
    /// From `begin`: the plan of this record, its root overlay being made.
    private var begun: (record: ContainerRecord, plan: LaunchPlan, overlay: DescriptorJob)?

    public init(store: ContainerStore? = nil) { self.store = store }

    /// Creates the layer directories, builds the plan and makes the start
    /// ready up to the clone (`Launcher.prepare`: seccomp filter, C
    /// configuration, the cgroup with its limits and the descriptors into
    /// it; a new network namespace, `--network none`, on a thread of its
    /// own: the CLI's CPU is idle from its attach on) ahead of the start.
    /// Not for `container:` network modes: those are resolved at the start
    /// itself. The cgroup of a monitor that dies
    /// before the start is removed with the container (`ContainerOperations.remove`
    /// removes the cgroup of a container whose monitor is gone).
    public func prepare(_ record: ContainerRecord) {
        // What `begin` made for this record is used; anything else goes.
        let early = begun?.record == record ? begun : nil
        if early != nil { begun = nil }
        discardPrepared()
        if case .container = NetworkMode(record.host.networkMode) { return }
        // A failure here is met again, and reported, by the start itself
        // (`Launcher.prepare` drops the overlay it was given when it throws).
        guard let plan = early?.plan ?? (try? plan(for: record)),
              let launch = try? Launcher.prepare(plan, overlay: early?.overlay, networkNamespaceAhead: true) else { return }
        prepared = (record, launch)
    }

    /// The layer directories, the plan and the root overlay, made here on
    /// this thread: begun on a thread of its own, the overlay waited ~1 ms
    /// for a CPU behind this one and the CLI (uprobes, 40 runs; off this
    /// CPU it would still meet the CLI, busy then with the network), and
    /// made first it is out of the way of the cgroup and the attach.
    public func begin(_ record: ContainerRecord) {
        discardPrepared()
        if case .container = NetworkMode(record.host.networkMode) { return }
        guard let plan = try? plan(for: record) else { return }
        begun = (record, plan, DescriptorJob.overlay(plan.rootfs, threaded: false))
    }

    /// What every start of a default container needs and no record
    /// decides: the cgroup mount table and Docker's default seccomp filter
    /// for Docker's default capabilities (both cached for the process).
    /// A monitor spawned ahead of its record (`--await-record`) does this
    /// while the CLI writes the record; it touches nothing.
    public static func warmUp() {
        // The default device filter, loaded now and attached by the start
        // (`Cgroup.create`) when the container's rules are the default ones.
        if let hierarchy = try? CgroupHierarchy.system(), hierarchy.v2 != nil, !hierarchy.createsFiles,
           !Cgroup.v1EnforcesDevices(hierarchy) {
            DeviceFilterLoader.preload(DeviceRule.dockerDefault)
        }
        // The capabilities `LaunchPlan.make` grants a container without cap flags.
        let caps = ProcessCapabilities.resolve(add: [], drop: [], privileged: false).capabilities
            .limited(to: CapabilitySet(mask: ContainerOperations.ownBoundingMask()))
        _ = try? SeccompFilterCache.shared.filter(for: .dockerDefault, capabilities: caps.effective)
    }

    public func discardPrepared() {
        prepared?.launch.discard()
        prepared = nil
        begun?.overlay.discard()
        begun = nil
    }

    /// The layer directories and the plan (the part of a start that touches
    /// nothing outside the container's directory).
    private func plan(for record: ContainerRecord) throws -> LaunchPlan {
        if let ov = record.overlay {
            // The container's own layer and the mount point (mounted inside its
            // namespace only); the upper directory becomes the container's `/`:
            // 0755, also for containers made while it was 0700.
            try ov.prepareDirectories(mountPoint: record.rootfs)
            // A `--rm` container's layer is mounted volatile (see Rootfs.volatile);
            // overlayfs refuses a second mount while the marker of the
            // first is in its scratch directory `work/work`, which it
            // empties at every mount anyway. The layer is thrown away when
            // the container is removed, so a start after a lost monitor
            // may reuse it.
            if record.autoRemove { try StateFile.removeTree(ov.workDir + "/work") }
        }
        var plan = try ContainerLaunch.plan(for: record, devices: true)
        if let store, let ov = record.overlay, case .overlay(let lowers, let upper, let work) = plan.rootfs.source,
           let stubs = try? MountPointLayer.path(for: record, overlay: ov, root: store.paths.root) {
            plan.rootfs.source = .overlay(lowerDirs: [stubs] + lowers, upperDir: upper, workDir: work)
        }
        return plan
    }

    public func start(_ stored: ContainerRecord, stdio: ProcessStdio,
                      settingUp: (Int32) -> Void) throws(StartFailure) -> StartedProcess {
        // A preloaded device filter the start did not take goes with it.
        defer { DeviceFilterLoader.discardPreloaded() }
        let launch: PreparedLaunch
        if let ready = prepared, ready.record == stored {
            launch = ready.launch
            prepared = nil
        } else {
            discardPrepared()
            var record = stored
            do {
                launch = try Launcher.prepare(try startPlan(for: &record))
            } catch {
                throw StartFailure(exitCode: Launcher.exitCode(for: error), message: "\(error)")
            }
        }
        return try self.launch(launch, stdio: stdio, settingUp: settingUp)
    }

    private func startPlan(for record: inout ContainerRecord) throws -> LaunchPlan {
        if case .container(let id) = NetworkMode(record.host.networkMode) {
            guard let store else { throw NetworkModeError("cannot resolve network mode container:\(id)") }
            guard let target = try? store.record(id: id) else {
                throw NetworkModeError("cannot join network of container \(id.prefix(12)): no such container")
            }
            record.host.networkMode = try store.sharedNetworkMode(of: target).text
        }
        return try plan(for: record)
    }

    private func launch(_ launch: PreparedLaunch, stdio: ProcessStdio,
                        settingUp: (Int32) -> Void) throws(StartFailure) -> StartedProcess {
        let plan = launch.plan
        do {
            let spawned = try Launcher.spawn(launch, stdio: LaunchStdio(stdin: stdio.stdin, stdout: stdio.stdout,
                                                                        stderr: stdio.stderr, windowSize: stdio.windowSize),
                                             whileSettingUp: settingUp)
            return StartedProcess(pid: spawned.pid, pidfd: spawned.pidfd ?? -1, cgroup: spawned.cgroup,
                                  ptyMaster: spawned.ptyMaster)
        } catch let e as SystemError where e.operation == "execve" && e.object != LaunchPlan.initPath {
            // The program could not run (berth-init failing is reported as itself, below).
            throw StartFailure.exec(plan.argv.first ?? "", errno: e.errno)
        } catch {
            throw StartFailure(exitCode: Launcher.exitCode(for: error), message: "\(error)")
        }
    }
}

/// A read-only layer shared by every container (`<root>/mount-points`):
/// `etc/` with empty `hosts`, `hostname` and `resolv.conf`, put on top of
/// the image's layers when the container bind-mounts its own three files
/// there and the image lacks some of them. The bind mounts then land on
/// these stubs instead of on files the child would create in the
/// container's own layer (a copy-up of `/etc` and three new files per
/// container, each an inode to allocate and later delete). Docker's init
/// layer holds the same stubs. The stubs are never seen: each is covered
/// by its bind mount.
enum MountPointLayer {
    static let files = ["hosts", "hostname", "resolv.conf"]

    /// The layer's path, created if missing; nil when it would not help
    /// (a file the container does not bind-mount, all three in the
    /// image) or could change what the container sees (the image's `/etc`
    /// is not a directory: a symlink, a whiteout).
    static func path(for record: ContainerRecord, overlay ov: OverlaySpec, root: String) throws -> String? {
        let targets = Set(record.host.mounts.map(\.destination))
        guard files.allSatisfy({ targets.contains("/etc/" + $0) }) else { return nil }
        let layers = [ov.upperDir] + ov.lowerDirs
        guard files.contains(where: { f in !layers.contains { StateFile.exists("\($0)/etc/\(f)") } }) else { return nil }
        if let top = layers.first(where: { StateFile.exists("\($0)/etc") }) {
            var st = stat()
            guard lstat("\(top)/etc", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        }
        return try ensure(root: root)
    }

    /// Creates the layer once (in a temp directory renamed into place, so
    /// a layer is complete or absent; a concurrent creator's wins).
    static func ensure(root: String) throws -> String {
        let path = "\(root)/mount-points"
        if files.allSatisfy({ StateFile.exists("\(path)/etc/\($0)") }) { return path }
        let temp = "\(root)/.mount-points.\(getpid()).tmp"
        try StateFile.removeTree(temp)
        do {
            try StateFile.makeDirectories(temp + "/etc", mode: 0o755)
            for dir in [temp, temp + "/etc"] where chmod(dir, 0o755) != 0 { throw SystemError.current("chmod", dir) }
            for f in files {
                let file = "\(temp)/etc/\(f)"
                let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if fd < 0 { throw SystemError.current("create", file) }
                _ = fchmod(fd, 0o644)
                close(fd)
            }
            if rename(temp, path) != 0 {
                let e = errno
                guard (e == EEXIST || e == ENOTEMPTY) && StateFile.isDirectory(path + "/etc") else {
                    throw SystemError("rename", "\(temp) to \(path)", errno: e)
                }
                try? StateFile.removeTree(temp)
            }
        } catch {
            try? StateFile.removeTree(temp)
            throw error
        }
        return path
    }
}

extension OverlaySpec {
    /// Creates the container's layer directories and the mount point (0700,
    /// with their parents), then gives the upper directory 0755: overlayfs
    /// takes the root directory's mode from it, and a 0700 `/` would stop
    /// every non-root process inside at the first path lookup (as
    /// containerd's snapshotter, whose upper directories are 0755).
    public func prepareDirectories(mountPoint: String) throws {
        for dir in [upperDir, workDir, mountPoint] { try StateFile.makeDirectories(dir, mode: 0o700) }
        if chmod(upperDir, 0o755) != 0 { throw SystemError.current("chmod 0755", upperDir) }
    }
}

/// How a container record becomes a `LaunchPlan`. The record holds the
/// image config already merged with the user's flags (as Docker stores
/// it), so it is passed as the image side with no command override.
public enum ContainerLaunch {
    /// `devices`: resolve the record's `--device` entries (and, privileged,
    /// the host's devices) against the host now: for a start, not for an
    /// exec or a health probe, which only need the process settings.
    public static func plan(for record: ContainerRecord, devices: Bool = false) throws -> LaunchPlan {
        let p = record.process
        let image = ImageProcessConfig(entrypoint: nil, cmd: p.args, env: p.env, workingDir: p.cwd,
                                       user: p.user.isEmpty ? nil : p.user, stopSignal: p.stopSignal)
        var o = ContainerOverrides()
        o.hostname = record.host.hostname.isEmpty ? record.shortID : record.host.hostname
        o.tty = p.tty
        o.readOnly = record.host.readOnlyRootfs
        o.privileged = record.host.privileged
        o.capAdd = record.host.capAdd
        o.capDrop = record.host.capDrop
        o.mounts = record.host.mounts.map { m in
            if m.type == "tmpfs" {
                var size: UInt64?
                var mode: UInt32?
                for opt in m.options {
                    if opt.hasPrefix("size="), let n = ByteCount.parse(String(opt.dropFirst(5))) { size = UInt64(n) }
                    if opt.hasPrefix("mode="), let n = UInt32(opt.dropFirst(5), radix: 8) { mode = n }
                }
                var t = ContainerMount.tmpfs(at: m.destination, size: size, mode: mode)
                t.readonly = m.readOnly
                return t
            }
            return ContainerMount.bind(m.hostPath, at: m.destination, readonly: m.readOnly)
        }
        o.cgroupName = record.id
        o.grantable = CapabilitySet(mask: ContainerOperations.ownBoundingMask())
        if record.host.memory > 0 { o.limits.memory = record.host.memory }
        if record.host.nanoCPUs > 0 { o.limits.cpus = Double(record.host.nanoCPUs) / 1e9 }
        if record.host.pidsLimit > 0 { o.limits.pidsLimit = record.host.pidsLimit }
        if devices { o.devices = try (record.host.devices ?? []).flatMap { try $0.resolve() } }
        if devices, record.host.privileged {
            // Docker: a privileged container gets every host device (the
            // user's --device entries win on the same path).
            let given = Set(o.devices.map(\.path))
            o.devices = DeviceMapping.hostDevices().filter { !given.contains($0.path) } + o.devices
        }
        o.deviceCgroupRules = try (record.host.deviceCgroupRules ?? []).flatMap { rule throws(DeviceSpecError) in
            try DeviceRule.parse(rule)
        }
        o.stopSignal = p.stopSignal
        if record.host.initProcess {
            let initBinary = ContainerOperations.initBesideExecutable()
            guard access(initBinary, X_OK) == 0 else {
                throw SystemError("access (--init needs berth-init beside berth-monitor)", initBinary, errno: errno)
            }
            o.initBinary = initBinary
        }
        // `host` shares the host's network; `ns:<path>` joins a namespace
        // berth pinned and wired before the start (compose services);
        // `none` gets a new namespace with only loopback (brought up by the
        // child). `container:<id>` is resolved by LauncherStarter before
        // this; unresolved (exec, health probes, which join the running
        // process's namespaces anyway) it plans a new one.
        switch NetworkMode(record.host.networkMode) {
        case .host: o.namespaces.net = .host
        case .join(let path): o.namespaces.net = .join(path: path)
        case .none, .container: break
        }
        var rootfs: Rootfs
        if let ov = record.overlay {
            rootfs = Rootfs(overlayAt: record.rootfs, lowerDirs: ov.lowerDirs, upperDir: ov.upperDir, workDir: ov.workDir)
            rootfs.volatile = record.autoRemove
        } else {
            rootfs = Rootfs(directory: record.rootfs)
        }
        return try LaunchPlan.make(imageConfig: image, overrides: o, rootfs: rootfs, users: users(for: record))
    }

    /// The container's own passwd/group: from the plain root directory, or
    /// from the top-most overlay layer that has them.
    static func users(for record: ContainerRecord) throws -> UserDatabase {
        guard let ov = record.overlay else { return try UserDatabase.load(rootfs: record.rootfs) }
        for dir in [ov.upperDir] + ov.lowerDirs where StateFile.exists(dir + "/etc/passwd") {
            return try UserDatabase.load(rootfs: dir)
        }
        return UserDatabase()
    }
}

/// `64m`, `1g`, `512k`, plain bytes (Docker's RAMInBytes, binary units).
public enum ByteCount {
    public static func parse(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let digits = lower.prefix(while: { $0.isNumber || $0 == "." })
        guard let value = Double(digits), value >= 0 else { return nil }
        var unit = String(lower.dropFirst(digits.count))
        if unit.hasSuffix("ib") { unit.removeLast(2) } else if unit.hasSuffix("b") { unit.removeLast() }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k": scale = 1024
        case "m": scale = 1024 * 1024
        case "g": scale = 1024 * 1024 * 1024
        case "t": scale = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        return Int64(value * scale)
    }
}
