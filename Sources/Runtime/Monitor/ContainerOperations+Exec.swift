import CMonitor
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// What `exec` runs inside a container, as the user asked.
public struct ExecRequest: Sendable {
    public var argv: [String]
    /// Extra `KEY=value` entries (later win).
    public var env: [String]
    public var user: String?
    public var workingDir: String?
    public var tty: Bool
    /// Every capability for this process (`exec --privileged`).
    public var privileged: Bool

    public init(argv: [String], env: [String] = [], user: String? = nil, workingDir: String? = nil, tty: Bool = false,
                privileged: Bool = false) {
        self.argv = argv
        self.env = env
        self.user = user
        self.workingDir = workingDir
        self.tty = tty
        self.privileged = privileged
    }
}

extension ContainerOperations {
    /// The container's cgroup (named by its id), if the kernel has one for it.
    public func cgroup(of record: ContainerRecord) -> Cgroup? {
        guard let hierarchy = try? CgroupHierarchy.system() else { return nil }
        let cg = Cgroup(name: record.id, hierarchy: hierarchy)
        return cg.allPaths.contains(where: { StateFile.isDirectory($0) }) ? cg : nil
    }

    /// Starts `request` inside the running container: every namespace and
    /// the cgroup of its PID 1, with the container's capabilities, seccomp
    /// and no_new_privs. Returns the process (a child of the caller); with
    /// `request.tty` it runs on a terminal of the container's devpts sized
    /// `stdio.windowSize`, whose master the caller gets.
    public func exec(_ record: ContainerRecord, _ request: ExecRequest, stdio: LaunchStdio) throws -> ExecProcess {
        let snap = try snapshot(record)
        try snap.state.check(.exec, name: record.name)
        let plan = try ContainerLaunch.plan(for: record)
        var exec = ExecPlan(argv: request.argv, sameAs: plan, cgroup: cgroup(of: record))
        exec.tty = request.tty
        if request.privileged {
            // Every capability berth itself may hold (as Docker's daemon gives what it has).
            exec.capabilities = ProcessCapabilities(CapabilitySet(mask: CapabilitySet.full.mask & Self.ownBoundingMask()))
        }
        if let dir = request.workingDir, !dir.isEmpty { exec.cwd = dir.hasPrefix("/") ? dir : plan.cwd + "/" + dir }
        if let user = request.user, !user.isEmpty {
            exec.user = try ContainerLaunch.users(for: record).resolve(user).user
        }
        var env = exec.env
        for e in request.env {
            let key = e.prefix(while: { $0 != "=" })
            env.removeAll { $0.prefix(while: { $0 != "=" }) == key }
            env.append(e)
        }
        exec.env = env
        do {
            return try Launcher.exec(into: snap.state.pid, plan: exec, stdio: stdio)
        } catch let e as SystemError where e.operation == "execve" {
            throw StartFailure.exec(request.argv.first ?? "", errno: e.errno)
        }
    }

    /// This process's capability bounding set (`CapBnd` of /proc/self/status).
    static func ownBoundingMask() -> UInt64 {
        guard let status = try? StateFile.readText("/proc/self/status") else { return CapabilitySet.full.mask }
        for line in status.split(separator: "\n") where line.hasPrefix("CapBnd:") {
            let hex = line.dropFirst("CapBnd:".count).filter { $0 != " " && $0 != "\t" }
            if let mask = UInt64(hex, radix: 16) { return mask }
        }
        return CapabilitySet.full.mask
    }

    // MARK: Pause

    /// Freezes (or thaws) every process of the container.
    public func setPaused(_ record: ContainerRecord, _ paused: Bool) throws {
        let snap = try snapshot(record)
        try snap.state.check(paused ? .pause : .unpause, name: record.name)
        guard let cg = cgroup(of: record) else {
            throw SystemError(paused ? "freeze" : "thaw", record.name, errno: ENOENT)
        }
        try cg.setFrozen(paused)
        try store.updateState(id: record.id) { $0.status = paused ? .paused : .running }
    }
}
