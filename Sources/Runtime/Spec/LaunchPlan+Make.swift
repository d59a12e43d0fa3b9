/// What the image says about its process: the part of an OCI image config
/// the runtime needs (the image store's `OCI.ImageConfig` maps onto it).
public struct ImageProcessConfig: Sendable, Equatable {
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var env: [String]
    public var workingDir: String?
    public var user: String?
    public var stopSignal: String?

    public init(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String] = [], workingDir: String? = nil,
                user: String? = nil, stopSignal: String? = nil) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
        self.stopSignal = stopSignal
    }
}

/// A command given by the user: exec form (`["a", "b"]`) or shell form
/// (`"a b"`, run as `/bin/sh -c "a b"`).
public enum CommandForm: Sendable, Equatable {
    case exec([String])
    case shell(String)

    public var argv: [String] {
        switch self {
        case .exec(let a): a
        case .shell(let s): ["/bin/sh", "-c", s]
        }
    }
}

/// What `berth run` flags / a compose service override.
public struct ContainerOverrides: Sendable, Equatable {
    /// `--entrypoint` / `entrypoint:`; setting it clears the image's Cmd
    /// (Docker), unless `command` is also given.
    public var entrypoint: CommandForm?
    /// Arguments after the image (`command:`), replacing the image's Cmd.
    public var command: CommandForm?
    /// `KEY=value` set or replaced; a bare `KEY` removes it.
    public var env: [String] = []
    public var workingDir: String?
    /// `uid[:gid]` or `name[:group]`.
    public var user: String?
    /// `group_add`.
    public var additionalGroups: [String] = []
    public var hostname: String?
    public var domainname: String?
    public var tty: Bool = false
    public var readOnly: Bool = false
    public var privileged: Bool = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    /// nil = berth's default profile (unconfined when privileged).
    public var seccomp: SeccompPolicy?
    public var noNewPrivileges: Bool = false
    public var mounts: [ContainerMount] = []
    public var sysctls: [Sysctl] = []
    public var ulimits: [ResourceLimit] = []
    public var shmSize: UInt64?
    public var namespaces: NamespacePlan = NamespacePlan()
    public var etcFiles: EtcFiles = EtcFiles()
    /// Container id (cgroup leaf name); nil = no cgroup.
    public var cgroupName: String?
    /// The capabilities berth itself may grant (its bounding set): a
    /// privileged container, or `cap_add: ALL`, gets these, not bits this
    /// host withholds (capset would fail with EPERM).
    public var grantable: CapabilitySet = .full
    public var limits: CgroupLimits = CgroupLimits()
    public var stopSignal: String?
    /// `init: true` / `--init`: host path of berth-init (see `LaunchPlan.initBinary`).
    public var initBinary: String?
    /// `--device` nodes (resolved: `DeviceMapping.resolve`); each also gets
    /// its cgroup allow rule.
    public var devices: [DeviceNode] = []
    /// `--device-cgroup-rule` / `device_cgroup_rules`: extra allow rules.
    public var deviceCgroupRules: [DeviceRule] = []

    public init() {}
}

extension LaunchPlan {
    /// Applies Docker's rules to an image config and the user's overrides:
    /// - argv = entrypoint + cmd; `--entrypoint` resets the image's Cmd;
    /// - env: the image's, then overrides (same key replaced in place);
    ///   PATH defaulted, HOSTNAME and HOME set as Docker does, TERM with a tty;
    /// - working dir: override, image, or `/` (relative → under `/`);
    /// - user: resolved against `users` (the container's own files);
    /// - capabilities: default 14 ± cap_add/cap_drop, all when privileged;
    ///   privileged also means unconfined seccomp and no masked/read-only paths.
    public static func make(imageConfig image: ImageProcessConfig, overrides o: ContainerOverrides,
                            rootfs: Rootfs, users: UserDatabase) throws -> LaunchPlan {
        let entrypoint: [String]
        let cmd: [String]
        if let ep = o.entrypoint {
            entrypoint = ep.argv
            cmd = o.command?.argv ?? []
        } else {
            entrypoint = image.entrypoint ?? []
            cmd = o.command?.argv ?? image.cmd ?? []
        }
        let argv = entrypoint + cmd
        guard let first = argv.first, !first.isEmpty else { throw LaunchPlanError("no command specified") }

        let (user, home) = try users.resolve(o.user ?? image.user ?? "", additionalGroups: o.additionalGroups)
        var env = Env(image.env)
        if env["PATH"] == nil { env.set("PATH", String(LaunchPlan.defaultEnv[0].dropFirst(5))) }
        if let h = o.hostname { env.set("HOSTNAME", h) }
        if o.tty, env["TERM"] == nil { env.set("TERM", "xterm") }
        for entry in o.env { env.apply(entry) }
        if env["HOME"] == nil { env.set("HOME", home) }

        var cwd = o.workingDir ?? image.workingDir ?? "/"
        if cwd.isEmpty { cwd = "/" }
        if !cwd.hasPrefix("/") { cwd = "/" + cwd }
        cwd = try PathRules.containerPath(cwd)

        var plan = LaunchPlan(argv: argv, env: env.entries, rootfs: rootfs)
        plan.rootfs.readonly = o.readOnly
        plan.cwd = cwd
        plan.user = user
        plan.hostname = o.hostname
        plan.domainname = o.domainname
        plan.tty = o.tty
        plan.initBinary = o.initBinary
        if let name = o.stopSignal ?? image.stopSignal {
            guard let sig = SignalName.parse(name) else { throw LaunchPlanError("invalid stop signal \"\(name)\"") }
            plan.stopSignal = sig
        }
        let caps = ProcessCapabilities.resolve(add: o.capAdd, drop: o.capDrop, privileged: o.privileged)
        if !caps.unknown.isEmpty {
            throw LaunchPlanError("unknown capability: \(caps.unknown.joined(separator: ", "))")
        }
        plan.capabilities = caps.capabilities.limited(to: o.grantable)
        plan.seccomp = o.seccomp ?? (o.privileged ? .unconfined : .dockerDefault)
        if o.privileged {
            plan.maskedPaths = []
            plan.readonlyPaths = []
        }
        plan.noNewPrivileges = o.noNewPrivileges
        plan.mounts = o.mounts
        for s in o.sysctls where !Sysctl.isNamespaced(s.key) {
            throw LaunchPlanError("sysctl \(s.key) is not allowed: it is not namespaced")
        }
        plan.sysctls = o.sysctls
        for u in o.ulimits where ResourceLimit.resources[u.name] == nil {
            throw LaunchPlanError("unknown ulimit \"\(u.name)\"")
        }
        plan.rlimits = o.ulimits
        if let shm = o.shmSize { plan.dev.shmSize = shm }
        plan.namespaces = o.namespaces
        plan.etcFiles = o.etcFiles
        // runc: with a bind mount of the host's /dev, no device node is made
        // (they would land in the host directory).
        let bindsDev = o.mounts.contains { m in
            if case .bind = m.kind, (try? PathRules.containerPath(m.target)) == "/dev" { return true }
            return false
        }
        plan.devices = bindsDev ? [] : o.devices
        if let name = o.cgroupName {
            var limits = o.limits
            if o.privileged {
                limits.devices = [DeviceRule(allow: true, type: "a", major: nil, minor: nil, access: "rwm")]
            } else {
                limits.devices += o.devices.map(\.rule) + o.deviceCgroupRules
            }
            plan.cgroup = CgroupPlan(name: name, limits: limits)
        }
        return plan
    }
}

/// Ordered `KEY=value` list with Docker's replace-in-place semantics.
struct Env {
    private(set) var entries: [String]

    init(_ entries: [String]) {
        self.entries = []
        for e in entries { apply(e) }
    }

    subscript(key: String) -> String? {
        entries.last { Env.key(of: $0) == key }.map { String($0.dropFirst(key.count + 1)) }
    }

    mutating func set(_ key: String, _ value: String) { apply("\(key)=\(value)") }

    /// `KEY=value` sets or replaces; `KEY` alone removes.
    mutating func apply(_ entry: String) {
        let key = Env.key(of: entry)
        guard !key.isEmpty else { return }
        if !entry.contains("=") {
            entries.removeAll { Env.key(of: $0) == key }
            return
        }
        if let i = entries.firstIndex(where: { Env.key(of: $0) == key }) {
            entries[i] = entry
        } else {
            entries.append(entry)
        }
    }

    static func key(of entry: String) -> String {
        entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }
}
