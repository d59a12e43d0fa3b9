import CRuntime
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Invalid plan content found while serializing (before anything is cloned).
public struct LaunchPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Serializes plans into `brt_config` (all memory owned by a `CArena`).
enum ConfigBuilder {
    // <sys/mount.h> values (the C enum does not import as constants).
    static let msRdonly: UInt = 1, msNosuid: UInt = 2, msNodev: UInt = 4, msNoexec: UInt = 8
    static let msRec: UInt = 0x4000, msPrivate: UInt = 1 << 18, msSlave: UInt = 1 << 19, msShared: UInt = 1 << 20
    static let attrRdonly: UInt64 = 1, attrNosuid: UInt64 = 2, attrNodev: UInt64 = 4, attrNoexec: UInt64 = 8

    // <sched.h> CLONE_NEW* (need _GNU_SOURCE in C; not imported).
    static let newNS: Int32 = 0x0002_0000, newCgroup: Int32 = 0x0200_0000, newUTS: Int32 = 0x0400_0000
    static let newIPC: Int32 = 0x0800_0000, newPID: Int32 = 0x2000_0000, newNet: Int32 = 0x4000_0000

    static let lastCap: Int32 = {
        (try? Sys.readFile("/proc/sys/kernel/cap_last_cap")).flatMap { Int32($0.trimmingWhitespace) } ?? 40
    }()

    static let cgroupNamespaceSupported: Bool = Sys.exists("/proc/self/ns/cgroup")

    static func propagationFlags(_ p: Propagation) -> (UInt, recursive: Bool) {
        switch p {
        case .private: (msPrivate, false)
        case .rprivate: (msPrivate, true)
        case .shared: (msShared, false)
        case .rshared: (msShared, true)
        case .slave: (msSlave, false)
        case .rslave: (msSlave, true)
        }
    }

    /// The mounts after /dev, in order: /proc, /sys, the plan's mounts
    /// (parents before children), then the /etc files.
    static func mounts(for plan: LaunchPlan, arena: CArena) throws -> [brt_mount] {
        var out: [brt_mount] = []
        func fs(_ source: String, _ target: String, _ type: String, _ flags: UInt, _ data: String?) {
            var m = brt_mount()
            m.kind = Int32(BRT_MOUNT_FS.rawValue)
            m.source = UnsafePointer(arena.string(source))
            m.target = UnsafePointer(arena.string(target))
            m.fstype = UnsafePointer(arena.string(type))
            m.flags = flags
            m.data = arena.optionalString(data)
            out.append(m)
        }
        func bind(_ source: String, _ target: String, readonly: Bool, extra: UInt64, propagation: Propagation?, recursive: Bool) {
            var m = brt_mount()
            m.kind = Int32(BRT_MOUNT_BIND.rawValue)
            m.source = UnsafePointer(arena.string(source))
            m.target = UnsafePointer(arena.string(target))
            m.attr = (readonly ? attrRdonly : 0) | extra
            if let propagation {
                let (flags, rec) = propagationFlags(propagation)
                m.propagation = flags
                m.recursive = (recursive || rec) ? 1 : 0
            } else {
                m.recursive = recursive ? 1 : 0
            }
            out.append(m)
        }
        fs("proc", "/proc", "proc", msNosuid | msNoexec | msNodev, nil)
        fs("sysfs", "/sys", "sysfs", msRdonly | msNosuid | msNoexec | msNodev, nil)
        // The container's own cgroup, read-only (as Docker does with a cgroup
        // namespace): runtimes (JVM, Go, Node) read their limits here. Only
        // with a cgroup namespace, which roots these views at the container.
        if plan.namespaces.cgroup, cgroupNamespaceSupported, plan.cgroup != nil, let h = try? CgroupHierarchy.system() {
            let ro = msRdonly | msNosuid | msNoexec | msNodev
            for m in cgroupMounts(h) {
                if m.type == "setattr" {
                    var s = brt_mount()
                    s.kind = Int32(BRT_MOUNT_SETATTR.rawValue)
                    s.target = UnsafePointer(arena.string(m.target))
                    s.attr = attrRdonly
                    out.append(s)
                } else {
                    fs(m.type, m.target, m.type, m.type == "tmpfs" ? msNosuid | msNoexec | msNodev : ro, m.data)
                }
            }
        }
        // The init before the plan's mounts: the container's /dev is a fresh
        // tmpfs here, so its mount point is created there (a volume over /dev
        // would hide it, and the start then fails naming /dev/init).
        if let initBinary = plan.initBinary {
            bind(initBinary, LaunchPlan.initPath, readonly: true, extra: attrNosuid | attrNodev, propagation: nil, recursive: false)
        }
        let sorted = plan.mounts.enumerated().sorted { a, b in
            let da = PathRules.depth(a.element.target), db = PathRules.depth(b.element.target)
            return da != db ? da < db : a.offset < b.offset
        }.map(\.element)
        for m in sorted {
            let target = try PathRules.containerPath(m.target)
            var extra: UInt64 = 0
            if m.nosuid { extra |= attrNosuid }
            if m.nodev { extra |= attrNodev }
            if m.noexec { extra |= attrNoexec }
            switch m.kind {
            case .bind(let source, let propagation, let recursive):
                bind(source, target, readonly: m.readonly, extra: extra, propagation: propagation, recursive: recursive)
            case .tmpfs(let size, let mode):
                var data: [String] = []
                if let size { data.append("size=\(size)") }
                if let mode { data.append("mode=" + String(mode, radix: 8)) }
                var flags: UInt = 0
                if m.readonly { flags |= msRdonly }
                if m.nosuid { flags |= msNosuid }
                if m.nodev { flags |= msNodev }
                if m.noexec { flags |= msNoexec }
                fs("tmpfs", target, "tmpfs", flags, data.isEmpty ? nil : data.joined(separator: ","))
            }
        }
        let etc: [(String?, String)] = [(plan.etcFiles.hosts, "/etc/hosts"), (plan.etcFiles.hostname, "/etc/hostname"),
                                       (plan.etcFiles.resolvConf, "/etc/resolv.conf")]
        for (source, target) in etc {
            if let source { bind(source, target, readonly: false, extra: attrNosuid | attrNodev, propagation: nil, recursive: false) }
        }
        return out
    }

    /// /sys/fs/cgroup inside the container: pure v2 → one cgroup2 mount; v1 or
    /// hybrid → a tmpfs holding one mount per host hierarchy (named like the
    /// host's, co-mounted controllers together) and `unified`, then the tmpfs
    /// made read-only.
    static func cgroupMounts(_ h: CgroupHierarchy) -> [(type: String, target: String, data: String?)] {
        if h.isUnified { return [("cgroup2", "/sys/fs/cgroup", nil)] }
        var out: [(type: String, target: String, data: String?)] = [("tmpfs", "/sys/fs/cgroup", "mode=755")]
        var byPath: [String: [String]] = [:]
        for (controller, path) in h.v1 { byPath[path, default: []].append(controller) }
        for (path, controllers) in byPath.sorted(by: { $0.key < $1.key }) {
            let name = path.split(separator: "/").last.map(String.init) ?? controllers.sorted().joined(separator: ",")
            out.append(("cgroup", "/sys/fs/cgroup/\(name)", controllers.sorted().joined(separator: ",")))
        }
        if let v2 = h.v2, v2.hasSuffix("/unified") { out.append(("cgroup2", "/sys/fs/cgroup/unified", nil)) }
        out.append(("setattr", "/sys/fs/cgroup", nil))
        return out
    }

    static func rlimits(_ list: [ResourceLimit]) throws -> [brt_rlimit] {
        try list.map { l in
            guard let r = ResourceLimit.resources[l.name] else { throw LaunchPlanError("unknown ulimit \"\(l.name)\"") }
            guard l.soft <= l.hard else { throw LaunchPlanError("ulimit \(l.name): soft limit \(l.soft) exceeds hard limit \(l.hard)") }
            return brt_rlimit(resource: r, soft: l.soft, hard: l.hard)
        }
    }

    static func process(_ cfg: inout brt_config, argv: [String], env: [String], cwd: String, user: ProcessUser,
                        caps: ProcessCapabilities, nnp: Bool, rlimits list: [ResourceLimit], stdio: LaunchStdio,
                        tty: Bool, umask: UInt32, filter: [UInt8], arena: CArena) throws {
        guard !argv.isEmpty, !argv[0].isEmpty else { throw LaunchPlanError("no command to run") }
        cfg.argv = UnsafePointer(arena.stringArray(argv))
        cfg.envp = UnsafePointer(arena.stringArray(env))
        cfg.path_env = arena.optionalString(env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) })
        cfg.cwd = UnsafePointer(arena.string(try PathRules.containerPath(cwd)))
        cfg.uid = user.uid
        cfg.gid = user.gid
        cfg.groups = UnsafePointer(arena.array(user.additionalGids.map { gid_t($0) }))
        cfg.ngroups = Int32(user.additionalGids.count)
        cfg.stdio = (stdio.stdin, stdio.stdout, stdio.stderr)
        cfg.tty = tty ? 1 : 0
        cfg.console_rows = stdio.windowSize.rows
        cfg.console_cols = stdio.windowSize.cols
        cfg.umask_value = umask
        let rl = try rlimits(list)
        cfg.rlimits = UnsafePointer(arena.array(rl))
        cfg.nrlimits = Int32(rl.count)
        cfg.cap_bounding = caps.bounding.mask
        cfg.cap_effective = caps.effective.mask
        cfg.cap_permitted = caps.permitted.mask
        cfg.last_cap = lastCap
        cfg.no_new_privs = nnp ? 1 : 0
        cfg.seccomp_len = UInt16(filter.count / 8)
    }

    static func config(for plan: LaunchPlan, stdio: LaunchStdio, filter: [UInt8], arena: CArena) throws -> brt_config {
        var cfg = brt_config()
        var argv = plan.argv
        if plan.initBinary != nil {
            // PID 1 is `/dev/init -- PROGRAM ARGS…`; the child still looks
            // PROGRAM up in the container's PATH first (argv[2]), so a
            // missing program fails the start (127) as without the init.
            guard let program = argv.first, !program.isEmpty else { throw LaunchPlanError("no command to run") }
            argv = [LaunchPlan.initPath, "--"] + argv
            cfg.init_process = 1
        }
        try process(&cfg, argv: argv, env: plan.env, cwd: plan.cwd, user: plan.user, caps: plan.capabilities,
                    nnp: plan.noNewPrivileges, rlimits: plan.rlimits, stdio: stdio, tty: plan.tty, umask: plan.umask,
                    filter: filter, arena: arena)
        var flags = UInt64(newNS)
        var joins: [(Int32, String)] = []
        let ns = plan.namespaces
        for (mode, flag) in [(ns.pid, newPID), (ns.uts, newUTS), (ns.ipc, newIPC), (ns.net, newNet)] {
            switch mode {
            case .new: flags |= UInt64(flag)
            case .join(let path): joins.append((Int32(flag), path))
            case .host: break
            }
        }
        cfg.clone_flags = flags
        cfg.new_cgroup_ns = (ns.cgroup && cgroupNamespaceSupported) ? 1 : 0
        cfg.joins = UnsafePointer(arena.array(joins.map { brt_ns_join(nstype: $0.0, path: UnsafePointer(arena.string($0.1))) }))
        cfg.njoins = Int32(joins.count)
        if ns.uts == .new {
            cfg.hostname = arena.optionalString(plan.hostname)
            cfg.domainname = arena.optionalString(plan.domainname)
        } else if plan.hostname != nil {
            throw LaunchPlanError("a hostname needs a private UTS namespace")
        }
        cfg.rootfs = UnsafePointer(arena.string(plan.rootfs.path))
        if let data = plan.rootfs.overlayData, data.utf8.count > 4095 {
            throw SystemError("mount overlay (options are \(data.utf8.count) bytes, over one page)", plan.rootfs.path, errno: E2BIG)
        }
        cfg.overlay_data = arena.optionalString(plan.rootfs.overlayData)
        cfg.overlay_cwd = arena.optionalString(plan.rootfs.overlayDirectory)
        cfg.overlay_fallback = arena.optionalString(plan.rootfs.overlayFallbackData)
        cfg.readonly_root = plan.rootfs.readonly ? 1 : 0
        cfg.root_propagation = msSlave
        cfg.setup_dev = plan.dev.enabled ? 1 : 0
        cfg.dev_shm_data = arena.optionalString("mode=1777,size=\(plan.dev.shmSize)")
        let mounts = try mounts(for: plan, arena: arena)
        cfg.mounts = UnsafePointer(arena.array(mounts))
        cfg.nmounts = Int32(mounts.count)
        let devices = try plan.devices.map { d in
            let path = try PathRules.containerPath(d.path)
            guard path != "/" else { throw LaunchPlanError("device \(d.path): the container path cannot be /") }
            let kind: UInt32
            switch d.type {
            case "c": kind = UInt32(S_IFCHR)
            case "b": kind = UInt32(S_IFBLK)
            default: throw LaunchPlanError("device \(d.path): type must be c or b")
            }
            return brt_device(path: UnsafePointer(arena.string(path)), mode: kind | (d.fileMode & 0o7777),
                              major: d.major, minor: d.minor, uid: d.uid, gid: d.gid)
        }
        cfg.devices = UnsafePointer(arena.array(devices))
        cfg.ndevices = Int32(devices.count)
        let masked = try plan.maskedPaths.map(PathRules.containerPath)
        cfg.masked_paths = arena.constStringArray(masked)
        cfg.nmasked = Int32(masked.count)
        let ro = try plan.readonlyPaths.map(PathRules.containerPath)
        cfg.readonly_paths = arena.constStringArray(ro)
        cfg.nreadonly = Int32(ro.count)
        for s in plan.sysctls {
            guard Sysctl.isNamespaced(s.key) else { throw LaunchPlanError("sysctl \(s.key) is not namespaced") }
            if s.key.hasPrefix("net."), ns.net == .host { throw LaunchPlanError("sysctl \(s.key) needs a private network namespace") }
            if !s.key.hasPrefix("net."), ns.ipc == .host { throw LaunchPlanError("sysctl \(s.key) needs a private IPC namespace") }
            guard !s.key.contains("/"), !s.key.split(separator: ".").contains("..") else { throw LaunchPlanError("invalid sysctl \(s.key)") }
        }
        cfg.sysctl_keys = arena.constStringArray(plan.sysctls.map(\.procPath))
        cfg.sysctl_values = arena.constStringArray(plan.sysctls.map(\.value))
        cfg.nsysctls = Int32(plan.sysctls.count)
        return cfg
    }

    static func config(for plan: ExecPlan, stdio: LaunchStdio, filter: [UInt8], arena: CArena) throws -> brt_config {
        var cfg = brt_config()
        try process(&cfg, argv: plan.argv, env: plan.env, cwd: plan.cwd, user: plan.user, caps: plan.capabilities,
                    nnp: plan.noNewPrivileges, rlimits: plan.rlimits, stdio: stdio, tty: plan.tty, umask: plan.umask,
                    filter: filter, arena: arena)
        return cfg
    }
}

/// Lexical rules for paths inside the container.
enum PathRules {
    /// An absolute, cleaned path (`.` and empty components dropped); `..`
    /// is refused rather than interpreted (the kernel clamps it at the root
    /// anyway, but a plan should not need it).
    static func containerPath(_ p: String) throws -> String {
        guard p.hasPrefix("/") else { throw LaunchPlanError("path \"\(p)\" inside the container must be absolute") }
        var parts: [Substring] = []
        for c in p.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { throw LaunchPlanError("path \"\(p)\" inside the container must not contain \"..\"") }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func depth(_ p: String) -> Int { p.split(separator: "/").filter { $0 != "." }.count }
}
