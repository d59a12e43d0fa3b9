import CRuntime
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// A terminal's size in character cells.
public struct WindowSize: Sendable, Equatable {
    public var rows: UInt16
    public var cols: UInt16

    public init(rows: UInt16, cols: UInt16) {
        self.rows = rows
        self.cols = cols
    }

    /// What a terminal without a known size gets (Docker's default too).
    public static let standard = WindowSize(rows: 24, cols: 80)
}

/// The three descriptors the container process gets as 0, 1 and 2
/// (-1 = /dev/null). When the plan asks for a `tty` they are ignored: the
/// process gets a terminal from the container's own devpts instead
/// (`/dev/pts/N`, its controlling terminal, stdio and /dev/console), sized
/// `windowSize`, and the caller receives the master.
public struct LaunchStdio: Sendable {
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    public var windowSize: WindowSize

    public init(stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, windowSize: WindowSize = .standard) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.windowSize = windowSize
    }

    /// A terminal of `size` allocated inside the container (plans with `tty`).
    public static func terminal(_ size: WindowSize) -> LaunchStdio { LaunchStdio(windowSize: size) }
}

/// A container process that has exec'ed. The caller owns `pidfd` (close it)
/// and must reap `pid` with waitpid.
public struct SpawnedContainer: Sendable {
    /// Host pid of the container's PID 1.
    public let pid: Int32
    /// A pidfd for `pid` (clone3 CLONE_PIDFD), or nil on kernels without it.
    public let pidfd: Int32?
    /// The container's cgroup, already holding `pid`; destroy it after the container exits.
    public let cgroup: Cgroup?
    /// With a `tty` plan: the master of the container's terminal
    /// (close-on-exec, owned by the caller); otherwise -1.
    public let ptyMaster: Int32
}

/// A process started by `Launcher.exec`: reap `pid`; close `ptyMaster`
/// (-1 unless the plan asked for a `tty`).
public struct ExecProcess: Sendable {
    public let pid: Int32
    public let ptyMaster: Int32
}

/// What `exec` into a running container runs.
public struct ExecPlan: Sendable, Equatable {
    public var argv: [String]
    public var env: [String]
    public var cwd: String
    public var user: ProcessUser
    public var capabilities: ProcessCapabilities
    public var seccomp: SeccompPolicy
    public var noNewPrivileges: Bool
    public var rlimits: [ResourceLimit]
    public var tty: Bool
    /// The container's cgroup (joined before exec), if any.
    public var cgroup: Cgroup?
    public var umask: UInt32 = 0o022

    public init(argv: [String], env: [String] = LaunchPlan.defaultEnv, cwd: String = "/",
                user: ProcessUser = ProcessUser(), capabilities: ProcessCapabilities = ProcessCapabilities(.dockerDefault),
                seccomp: SeccompPolicy = .dockerDefault, noNewPrivileges: Bool = false,
                rlimits: [ResourceLimit] = [], tty: Bool = false, cgroup: Cgroup? = nil) {
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.user = user
        self.capabilities = capabilities
        self.seccomp = seccomp
        self.noNewPrivileges = noNewPrivileges
        self.rlimits = rlimits
        self.tty = tty
        self.cgroup = cgroup
    }

    /// The same process settings as the container's own (user, caps, seccomp…).
    public init(argv: [String], sameAs plan: LaunchPlan, cgroup: Cgroup?) {
        self.init(argv: argv, env: plan.env, cwd: plan.cwd, user: plan.user, capabilities: plan.capabilities,
                  seccomp: plan.seccomp, noNewPrivileges: plan.noNewPrivileges, rlimits: plan.rlimits,
                  tty: false, cgroup: cgroup)
    }
}

/// A container start made ready up to the clone (`Launcher.prepare`):
/// used by one `Launcher.spawn`, or dropped with `discard`, which closes
/// its cgroup descriptors and removes the cgroup.
public final class PreparedLaunch {
    public let plan: LaunchPlan
    /// The cgroup the process will start in, if the plan has one.
    public let cgroup: Cgroup?
    let filter: [UInt8]
    let arena: CArena
    let cfg: brt_config
    let join: CgroupJoin?
    /// The root overlay, made ahead and attached nowhere yet (`cfg.overlay_fd`).
    let overlay: OwnedDescriptor?
    /// The network namespace being made ahead, joined instead of created
    /// (waited for at the start, the last moment).
    let network: DescriptorJob?
    /// The root overlay was made here (the child attaches it), not left to the child.
    public var overlayMadeAhead: Bool { overlay != nil }
    /// A network namespace is being made for the child to join (if that fails, its clone makes one).
    public var networkNamespaceAhead: Bool { network != nil }
    private var used = false

    init(plan: LaunchPlan, filter: [UInt8], arena: CArena, cfg: brt_config, cgroup: Cgroup?, join: CgroupJoin?,
         overlay: OwnedDescriptor?, network: DescriptorJob?) {
        self.plan = plan
        self.filter = filter
        self.arena = arena
        self.cfg = cfg
        self.cgroup = cgroup
        self.join = join
        self.overlay = overlay
        self.network = network
    }

    /// Marks the one start; false when it was started or discarded already.
    fileprivate func claim() -> Bool {
        if used { return false }
        used = true
        return true
    }

    /// Closes what the start would have used and removes the cgroup.
    public func discard() {
        if claim() { drop() }
    }

    /// `discard` after the claim (a start that fails before its clone).
    fileprivate func drop() {
        join?.close()
        overlay?.close()
        network?.discard()
        try? cgroup?.destroy()
    }
}

/// Starts containers: serializes a `LaunchPlan` for CRuntime, clones, puts
/// the child in its cgroup, lets it set itself up and waits until it has
/// exec'ed (or reports why it could not).
public enum Launcher {
    /// Starts the container process described by `plan`.
    ///
    /// `beforeStart` runs after clone and cgroup placement, before the child
    /// does anything (e.g. to move a veth into `/proc/PID/ns/net`). If it or
    /// any setup step fails, the child is killed and reaped, its cgroup
    /// removed, and the error thrown (a `SystemError` naming the step's system
    /// call and object, e.g. `mount /data: ENOENT`).
    ///
    /// `whileSettingUp` runs once the child has been let go and sets itself
    /// up (mounts, pivot_root, capabilities, seccomp, exec), on this thread,
    /// in parallel with it: work that needs the pid but not the exec (the
    /// monitor records the start there). The start may still fail after it.
    public static func spawn(_ plan: LaunchPlan, stdio: LaunchStdio,
                             beforeStart: ((Int32) throws -> Void)? = nil,
                             whileSettingUp: (Int32) -> Void = { _ in }) throws -> SpawnedContainer {
        try spawn(prepare(plan), stdio: stdio, beforeStart: beforeStart, whileSettingUp: whileSettingUp)
    }

    /// What `spawn` does before the clone that only the plan decides: the
    /// seccomp filter, the C configuration (its strings in one arena), the
    /// host directories of bind mounts and, with `plan.cgroup`, the cgroup
    /// and the descriptors the child enters it through. A monitor makes it while the CLI still sets up the network
    /// (`LauncherStarter.prepare`), so that a start after the attach only
    /// fills in the stdio and clones. The root overlay is made here too, as
    /// a detached mount the child only attaches (`DescriptorJob.overlay`).
    /// `networkNamespaceAhead`: a new network namespace the plan asks for is
    /// made on a thread of its own as well (`DescriptorJob.networkNamespace`),
    /// for the start to wait for: for a caller that has a CPU to spare
    /// until then (the monitor of a foreground `run`, waiting for its attach).
    /// Nothing is left when it throws.
    public static func prepare(_ plan: LaunchPlan, overlay begun: DescriptorJob? = nil,
                               networkNamespaceAhead: Bool = false) throws -> PreparedLaunch {
        let networkJob = networkNamespaceAhead && plan.namespaces.net == .new ? DescriptorJob.networkNamespace() : nil
        // The overlay first (or already, `begun`), on a thread of its own:
        // overlayfs's set-up is kernel work that the cgroup's overlaps.
        let overlayJob = begun ?? DescriptorJob.overlay(plan.rootfs)
        var taken = false
        defer {
            if !taken {
                overlayJob.discard()
                networkJob?.discard()
            }
        }
        let filter = try SeccompFilterCache.shared.filter(for: plan.seccomp, capabilities: plan.capabilities.effective)
        let arena = CArena()
        var cfg = try ConfigBuilder.config(for: plan, stdio: LaunchStdio(), filter: filter, arena: arena)
        for m in plan.mounts where m.createHostPath {
            if case .bind(let source, _, _) = m.kind, !Sys.exists(source) { try Sys.mkdirAll(source) }
        }
        // The cgroup exists before the clone: the child starts in it (CgroupJoin).
        var cgroup: Cgroup?
        var join: CgroupJoin?
        if let spec = plan.cgroup {
            let cg = try Cgroup.create(spec, hierarchy: .system())
            cgroup = cg
            do { join = try CgroupJoin(cg) } catch {
                try? cg.destroy()
                throw error
            }
            join?.configure(&cfg, arena: arena)
        }
        taken = true
        let overlay = overlayJob.finish()
        if let overlay {
            cfg.overlay_attach = 1
            cfg.overlay_fd = overlay.raw
        }
        return PreparedLaunch(plan: plan, filter: filter, arena: arena, cfg: cfg, cgroup: cgroup, join: join,
                              overlay: overlay, network: networkJob)
    }

    /// Starts a prepared launch (once) with `stdio`; see `spawn(_:stdio:…)`.
    public static func spawn(_ prepared: PreparedLaunch, stdio: LaunchStdio,
                             beforeStart: ((Int32) throws -> Void)? = nil,
                             whileSettingUp: (Int32) -> Void = { _ in }) throws -> SpawnedContainer {
        let plan = prepared.plan
        let cgroup = prepared.cgroup
        guard prepared.claim() else { throw SystemError("start", "prepared launch (already used)", errno: EALREADY) }
        let join = prepared.join
        let arena = prepared.arena
        var cfg = prepared.cfg
        cfg.stdio = (stdio.stdin, stdio.stdout, stdio.stderr)
        cfg.console_rows = stdio.windowSize.rows
        cfg.console_cols = stdio.windowSize.cols
        let console: ConsoleSocket?
        do { console = try ConsoleSocket(tty: plan.tty, config: &cfg) } catch {
            prepared.drop()
            throw error
        }
        let network = prepared.network?.finish()
        if let network {
            cfg.clone_flags &= ~UInt64(ConfigBuilder.newNet)
            cfg.net_ns_join = 1
            cfg.net_ns_fd = network.raw
        }
        var child = brt_child()
        let rc = withExtendedLifetime((arena, join, prepared.overlay)) { prepared.filter.withUnsafeBytes { bytes in
            cfg.seccomp_filter = prepared.filter.isEmpty ? nil : bytes.baseAddress
            return brt_clone(&cfg, &child)
        } }
        join?.close()
        // The child has its own copies to attach and join; without a child they go with these.
        prepared.overlay?.close()
        network?.close()
        console?.closeChildEnd()
        if rc < 0 {
            try? cgroup?.destroy()
            throw SystemError("clone3", plan.rootfs.path, errno: -rc)
        }
        let report = OwnedDescriptor(child.report_fd)
        do {
            try join?.finish(pid: child.pid, clonedIntoV2: child.cgroup_cloned != 0)
            try beforeStart?(child.pid)
        } catch {
            abandon(&child, report: report, cgroup: cgroup)
            throw error
        }
        let released = brt_release(&child)
        var master: Int32 = -1
        do {
            if released < 0 { throw SystemError("write start pipe", "\(child.pid)", errno: -released) }
            whileSettingUp(child.pid)
            try awaitExec(report: report, pid: child.pid)
            // Sent before execve, so it is already queued once exec succeeded.
            if let console { master = try console.receive(from: "\(child.pid)") }
        } catch {
            abandon(&child, report: report, cgroup: cgroup)
            throw error
        }
        return SpawnedContainer(pid: child.pid, pidfd: child.pidfd >= 0 ? child.pidfd : nil, cgroup: cgroup,
                                ptyMaster: master)
    }

    /// Runs `plan` inside the running container whose PID 1 is `pid`:
    /// joins its ipc, uts, net, pid, cgroup and mnt namespaces and its cgroup,
    /// with the plan's user, capabilities, seccomp and no_new_privs. Returns
    /// the new process's host pid (a child of the caller: reap it).
    public static func exec(into pid: Int32, plan: ExecPlan, stdio: LaunchStdio) throws -> ExecProcess {
        let filter = try SeccompFilterCache.shared.filter(for: plan.seccomp, capabilities: plan.capabilities.effective)
        let arena = CArena()
        var cfg = try ConfigBuilder.config(for: plan, stdio: stdio, filter: filter, arena: arena)
        let console = try ConsoleSocket(tty: plan.tty, config: &cfg)
        // Namespaces: the mount namespace last (it changes root and cwd).
        let kinds: [(String, Int32)] = [("ipc", ConfigBuilder.newIPC), ("uts", ConfigBuilder.newUTS), ("net", ConfigBuilder.newNet),
                                        ("pid", ConfigBuilder.newPID), ("cgroup", ConfigBuilder.newCgroup),
                                        ("mnt", ConfigBuilder.newNS)]
        var fds: [OwnedDescriptor] = []
        var types: [Int32] = []
        let selfNS = { (name: String) in (try? Sys.readLink("/proc/self/ns/\(name)")) ?? "" }
        for (name, type) in kinds {
            let path = "/proc/\(pid)/ns/\(name)"
            // Joining a namespace we already share is skipped (e.g. net: host).
            if let target = try? Sys.readLink(path), target == selfNS(name) { continue }
            fds.append(try Sys.open(path, O_RDONLY))
            types.append(type)
        }
        let rawFDs = fds.map(\.raw)
        let join = try plan.cgroup.map(CgroupJoin.init)
        join?.configure(&cfg, arena: arena)
        var child = brt_child()
        let rc = withExtendedLifetime((arena, fds, join)) {
            filter.withUnsafeBytes { bytes in
                cfg.seccomp_filter = filter.isEmpty ? nil : bytes.baseAddress
                return rawFDs.withUnsafeBufferPointer { f in
                    types.withUnsafeBufferPointer { t in
                        brt_clone_exec(&cfg, f.baseAddress, t.baseAddress, Int32(f.count), &child)
                    }
                }
            }
        }
        join?.close()
        console?.closeChildEnd()
        if rc < 0 { throw SystemError("clone", "exec into \(pid)", errno: -rc) }
        let report = OwnedDescriptor(child.report_fd)
        if child.pidfd >= 0 { _ = Glibc.close(child.pidfd) }
        var execPid: Int32 = -1
        var master: Int32 = -1
        do {
            try join?.finish(pid: child.pid, clonedIntoV2: child.cgroup_cloned != 0)
            let released = brt_release(&child)
            if released < 0 { throw SystemError("write start pipe", "\(child.pid)", errno: -released) }
            // Records: the helper's {pid} notice and maybe the process's error, in any order.
            var failure: SystemError?
            var r = brt_report()
            while true {
                let n = brt_read_report(report.raw, &r)
                if n < 0 { throw SystemError("read", "exec report pipe", errno: -n) }
                if n == 0 { break }
                if r.kind == 1 { execPid = r.pid } else if failure == nil { failure = LaunchStep.error(from: r) }
            }
            _ = try? Sys.waitpid(child.pid)
            if let failure {
                if execPid > 0 { _ = try? Sys.waitpid(execPid) }
                throw failure
            }
            if execPid <= 0 { throw SystemError("exec", "into \(pid)", errno: ECHILD) }
            if let console {
                do {
                    master = try console.receive(from: "exec into \(pid)")
                } catch {
                    try? Sys.kill(execPid, SIGKILL)
                    _ = try? Sys.waitpid(execPid)
                    throw error
                }
            }
        } catch {
            if child.start_fd >= 0 { _ = Glibc.close(child.start_fd) }
            try? Sys.kill(child.pid, SIGKILL)
            _ = try? Sys.waitpid(child.pid)
            throw error
        }
        return ExecProcess(pid: execPid, ptyMaster: master)
    }

    /// Docker's exit code for a failed start: 127 when the command was not
    /// found, 126 when it could not be executed, 125 for any other failure.
    public static func exitCode(for error: any Error) -> Int32 {
        guard let e = error as? SystemError, e.operation == "execve" else { return 125 }
        return e.errno == ENOENT ? 127 : 126
    }

    private static func awaitExec(report: OwnedDescriptor, pid: Int32) throws {
        var r = brt_report()
        let n = brt_read_report(report.raw, &r)
        if n < 0 { throw SystemError("read", "report pipe of \(pid)", errno: -n) }
        if n == 1 { throw LaunchStep.error(from: r) }
    }

    private static func abandon(_ child: inout brt_child, report: OwnedDescriptor, cgroup: Cgroup?) {
        if child.start_fd >= 0 {
            _ = Glibc.close(child.start_fd)
            child.start_fd = -1
        }
        try? Sys.kill(child.pid, SIGKILL)
        _ = try? Sys.waitpid(child.pid)
        if child.pidfd >= 0 { _ = Glibc.close(child.pidfd) }
        report.close()
        try? cgroup?.destroy()
    }
}

/// runc's console socket: a socketpair whose child end goes to CRuntime
/// (`brt_config.console_socket`); the child sends the master of the
/// terminal it opened inside the container over it before exec.
private final class ConsoleSocket {
    private var parentEnd: Int32
    private var childEnd: Int32

    /// nil without `tty`.
    init?(tty: Bool, config cfg: inout brt_config) throws {
        guard tty else { return nil }
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError.current("socketpair", "console socket")
        }
        parentEnd = fds[0]
        childEnd = fds[1]
        cfg.console_socket = childEnd
    }

    /// After the clone: only the child keeps its end, so a child that dies
    /// before sending gives EOF instead of a hang.
    func closeChildEnd() {
        if childEnd >= 0 { _ = Glibc.close(childEnd); childEnd = -1 }
    }

    /// The master, close-on-exec, owned by the caller.
    func receive(from who: String) throws -> Int32 {
        let fd = brt_recv_console(parentEnd)
        if fd < 0 { throw SystemError("receive pty master from", who, errno: -fd) }
        return fd
    }

    deinit {
        closeChildEnd()
        if parentEnd >= 0 { _ = Glibc.close(parentEnd) }
    }
}
