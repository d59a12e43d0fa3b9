/// Everything needed to start one container process, as a pure value.
/// Built by `LaunchPlan.make(imageConfig:overrides:)` (or by hand in tests)
/// and carried out by `Launcher.spawn`.
public struct LaunchPlan: Sendable, Equatable {
    /// The program and its arguments; `argv[0]` is looked up in the
    /// container's `PATH` (from `env`) when it has no `/`.
    public var argv: [String]
    /// `KEY=value` entries, in order.
    public var env: [String]
    /// Working directory inside the container; created when missing.
    public var cwd: String = "/"
    public var user: ProcessUser = ProcessUser()
    public var hostname: String?
    public var domainname: String?
    public var rootfs: Rootfs
    /// Mounts applied in order after /proc, /sys and /dev.
    public var mounts: [ContainerMount] = []
    public var namespaces: NamespacePlan = NamespacePlan()
    public var capabilities: ProcessCapabilities = ProcessCapabilities(.dockerDefault)
    public var seccomp: SeccompPolicy = .dockerDefault
    public var noNewPrivileges: Bool = false
    public var rlimits: [ResourceLimit] = []
    /// Namespaced sysctls only (`net.*`, `kernel.shm*`, `kernel.msg*`,
    /// `kernel.sem`, `fs.mqueue.*`); see `Sysctl.isNamespaced`.
    public var sysctls: [Sysctl] = []
    public var maskedPaths: [String] = LaunchPlan.dockerMaskedPaths
    public var readonlyPaths: [String] = LaunchPlan.dockerReadonlyPaths
    public var dev: DevSetup = DevSetup()
    /// Device nodes created after the mounts (`--device`); their cgroup
    /// rules are in `cgroup`.
    public var devices: [DeviceNode] = []
    /// Host files bind-mounted to /etc/hosts, /etc/hostname, /etc/resolv.conf.
    public var etcFiles: EtcFiles = EtcFiles()
    /// The container's cgroup (under the `berth` parent) and its limits.
    public var cgroup: CgroupPlan?
    /// stdin is a pty slave: the child gets it as controlling terminal and /dev/console.
    public var tty: Bool = false
    /// `init: true` / `--init`: host path of the `berth-init` executable
    /// (static, C). It is bind-mounted read-only at `LaunchPlan.initPath`
    /// and runs as PID 1 with `argv` as its child: it forwards signals to
    /// the program, reaps orphans and exits with the program's status
    /// (128+N when killed by signal N). nil = the program is PID 1.
    public var initBinary: String?
    /// The signal `stop` sends first (image `StopSignal` / `stop_signal`), SIGTERM by default.
    public var stopSignal: Int32 = 15
    public var umask: UInt32 = 0o022

    public init(argv: [String], env: [String] = LaunchPlan.defaultEnv, rootfs: Rootfs) {
        self.argv = argv
        self.env = env
        self.rootfs = rootfs
    }

    /// Where the init is mounted inside the container: on the container's
    /// own /dev tmpfs, so the mount point touches neither the image nor the
    /// container's layer (Docker's /sbin/docker-init leaves an empty file in
    /// the container's layer), works with a read-only root, and shadows no
    /// file of the image.
    public static let initPath = "/dev/init"

    /// Docker's default environment when the image sets no PATH.
    public static let defaultEnv = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    /// Docker's masked paths (moby oci/defaults.go, with /proc/interrupts).
    public static let dockerMaskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    /// Docker's read-only paths.
    public static let dockerReadonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ]

    /// The `PATH` value from `env`, if any.
    public var pathVariable: String? {
        env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
    }
}

/// uid, gid and supplementary groups of the container process.
public struct ProcessUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var additionalGids: [UInt32]

    public init(uid: UInt32 = 0, gid: UInt32 = 0, additionalGids: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
    }
}

/// Where `/` comes from.
public struct Rootfs: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A plain host directory (bind-mounted onto itself, then pivoted into).
        case directory
        /// An overlay mounted on `path` inside the container's mount
        /// namespace (it disappears with the namespace). `lowerDirs` top-first.
        case overlay(lowerDirs: [String], upperDir: String, workDir: String)
        /// Ready-made overlay mount data (e.g. `ImageStore.overlayMountOptions`,
        /// whose short `l/…` lower dirs are relative to `directory`, where the
        /// child changes directory before mounting).
        case overlayOptions(data: String, directory: String?)
    }

    /// Host directory that becomes `/` (the overlay's mount point for `.overlay`).
    public var path: String
    public var source: Source
    public var readonly: Bool
    /// Mount the overlay `volatile` (Linux 5.10+): overlayfs then skips every
    /// sync of the upper directory, including the syncfs of the whole host
    /// filesystem it does at unmount, which the container's exit waits for
    /// (tens of ms when the host has dirty data). Only for containers whose
    /// writable layer is thrown away when they exit (`run --rm`, as Podman
    /// does): after a host crash the upper directory may be inconsistent,
    /// and overlayfs refuses to mount it again (`work/incompat/volatile`).
    public var volatile = false

    public init(directory path: String, readonly: Bool = false) {
        self.path = path
        source = .directory
        self.readonly = readonly
    }

    public init(overlayAt path: String, lowerDirs: [String], upperDir: String, workDir: String, readonly: Bool = false) {
        self.path = path
        source = .overlay(lowerDirs: lowerDirs, upperDir: upperDir, workDir: workDir)
        self.readonly = readonly
    }

    /// An overlay from ready-made mount data (see `Source.overlayOptions`).
    public init(overlayAt path: String, options: String, directory: String?, readonly: Bool = false) {
        self.path = path
        source = .overlayOptions(data: options, directory: directory)
        self.readonly = readonly
    }

    /// The overlay mount data (`lowerdir=…,upperdir=…,workdir=…`, then
    /// `,volatile`), nil for a directory.
    public var overlayData: String? {
        guard let data = overlayDataWithoutVolatile else { return nil }
        return volatile ? data + ",volatile" : data
    }

    /// The same without `volatile`: what the child retries with when the
    /// kernel refuses the option (EINVAL); nil when there is nothing to retry.
    public var overlayFallbackData: String? { volatile ? overlayDataWithoutVolatile : nil }

    private var overlayDataWithoutVolatile: String? {
        switch source {
        case .directory: nil
        case .overlay(let lower, let upper, let work):
            "lowerdir=\(lower.map(Rootfs.escape).joined(separator: ":")),upperdir=\(Rootfs.escape(upper)),workdir=\(Rootfs.escape(work))"
        case .overlayOptions(let data, _): data
        }
    }

    /// Directory to mount the overlay from (relative lower dirs), if any.
    public var overlayDirectory: String? {
        if case .overlayOptions(_, let dir) = source { return dir }
        return nil
    }

    /// overlayfs separates options with `,` and lower dirs with `:`; escape them.
    static func escape(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "\\" || c == ":" || c == "," { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// Mount propagation of a bind mount.
public enum Propagation: String, Sendable, Equatable, CaseIterable {
    case `private`, rprivate, shared, rshared, slave, rslave
}

/// One mount inside the container.
public struct ContainerMount: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A host file or directory (bind mounts and named/anonymous volume directories).
        case bind(source: String, propagation: Propagation?, recursive: Bool)
        /// A tmpfs; `size` in bytes, `mode` e.g. 0o1777.
        case tmpfs(size: UInt64?, mode: UInt32?)
    }

    /// Absolute path inside the container (resolved inside the rootfs).
    public var target: String
    public var kind: Kind
    public var readonly: Bool
    public var noexec: Bool = false
    public var nosuid: Bool = false
    public var nodev: Bool = false
    /// Create a missing bind source directory on the host first (Compose's
    /// short `volumes:` syntax does; `--mount type=bind` does not).
    public var createHostPath: Bool = false

    public init(target: String, kind: Kind, readonly: Bool = false) {
        self.target = target
        self.kind = kind
        self.readonly = readonly
    }

    public static func bind(_ source: String, at target: String, readonly: Bool = false,
                            propagation: Propagation? = nil) -> ContainerMount {
        ContainerMount(target: target, kind: .bind(source: source, propagation: propagation, recursive: true),
                       readonly: readonly)
    }

    public static func tmpfs(at target: String, size: UInt64? = nil, mode: UInt32? = nil) -> ContainerMount {
        var m = ContainerMount(target: target, kind: .tmpfs(size: size, mode: mode))
        m.nosuid = true
        m.nodev = true
        return m
    }
}

/// How a namespace is provided.
public enum NamespaceMode: Sendable, Equatable {
    /// A fresh namespace (Docker's default).
    case new
    /// Join an existing one, e.g. `/proc/PID/ns/net` or `/run/netns/x`.
    case join(path: String)
    /// Share the host's (`network_mode: host`, `pid: host`).
    case host
}

/// The container's namespaces. Mount is always new; there is no user namespace.
public struct NamespacePlan: Sendable, Equatable {
    public var pid: NamespaceMode = .new
    public var uts: NamespaceMode = .new
    public var ipc: NamespaceMode = .new
    public var net: NamespaceMode = .new
    /// A cgroup namespace rooted at the container's cgroup.
    public var cgroup: Bool = true

    public init() {}
}

/// `/dev` as a tmpfs with the standard nodes.
public struct DevSetup: Sendable, Equatable {
    public var enabled: Bool = true
    /// `/dev/shm` size in bytes (Docker: 64 MiB).
    public var shmSize: UInt64 = 64 << 20

    public init(enabled: Bool = true, shmSize: UInt64 = 64 << 20) {
        self.enabled = enabled
        self.shmSize = shmSize
    }
}

/// Host files that become the container's /etc/hosts, /etc/hostname and
/// /etc/resolv.conf (the caller writes them; nil = keep the image's).
public struct EtcFiles: Sendable, Equatable {
    public var hosts: String?
    public var hostname: String?
    public var resolvConf: String?

    public init(hosts: String? = nil, hostname: String? = nil, resolvConf: String? = nil) {
        self.hosts = hosts
        self.hostname = hostname
        self.resolvConf = resolvConf
    }
}

/// One rlimit (`ulimits:`), by Docker's name (`nofile`, `nproc`, …).
public struct ResourceLimit: Sendable, Equatable {
    public var name: String
    public var soft: UInt64
    public var hard: UInt64

    public init(name: String, soft: UInt64, hard: UInt64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }

    /// RLIMIT_* numbers on Linux, by Docker's ulimit names.
    public static let resources: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
        "memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13,
        "rtprio": 14, "rttime": 15,
    ]

    /// `RLIM_INFINITY`, also what `-1` means in compose files.
    public static let unlimited = UInt64.max
}

/// One sysctl, `net.ipv4.ip_forward = 1`.
public struct Sysctl: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Docker's rule: only keys the kernel namespaces per container.
    /// (`net.*` needs a private network namespace; the IPC keys a private IPC namespace.)
    public static func isNamespaced(_ key: String) -> Bool {
        let ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                   "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]
        return ipc.contains(key) || key.hasPrefix("fs.mqueue.") || key.hasPrefix("net.")
    }

    /// Path under /proc/sys (`net/ipv4/ip_forward`).
    public var procPath: String { key.split(separator: ".", omittingEmptySubsequences: false).joined(separator: "/") }
}

