/// What a container is: written once at create time to
/// `<root>/containers/<id>/config.json`. Everything the monitor needs to
/// start (and restart) the process is in here, so the monitor never needs
/// the CLI again.
public struct ContainerRecord: Codable, Sendable, Equatable {
    /// 64 lowercase hex digits.
    public var id: String
    /// Without Docker's leading slash.
    public var name: String
    /// The image reference as the user wrote it, and the digest it resolved to.
    public var image: String
    public var imageDigest: String
    public var created: Timestamp
    public var process: ProcessSpec
    public var host: HostSpec
    public var labels: [String: String]
    public var restart: RestartPolicy
    public var log: LogOptions
    /// `--rm`: the monitor removes the container after its final exit.
    public var autoRemove: Bool
    /// The root filesystem directory the process sees as `/` (the overlay
    /// mount point when `overlay` is set; mounted only inside the
    /// container's mount namespace).
    public var rootfs: String
    /// The image layers and the container's own upper/work directories;
    /// nil when `rootfs` is a plain directory.
    public var overlay: OverlaySpec?
    /// Probed by the monitor while the container runs; nil = no healthcheck.
    public var healthcheck: ContainerHealthcheck? = nil

    public init(id: String, name: String, image: String, imageDigest: String = "", created: Timestamp = .now(),
                process: ProcessSpec, host: HostSpec = HostSpec(), labels: [String: String] = [:],
                restart: RestartPolicy = .no, log: LogOptions = LogOptions(), autoRemove: Bool = false, rootfs: String,
                overlay: OverlaySpec? = nil) {
        self.id = id
        self.name = name
        self.image = image
        self.imageDigest = imageDigest
        self.created = created
        self.process = process
        self.host = host
        self.labels = labels
        self.restart = restart
        self.log = log
        self.autoRemove = autoRemove
        self.rootfs = rootfs
        self.overlay = overlay
    }

    /// The 12-digit short id `ps` shows.
    public var shortID: String { String(id.prefix(12)) }
}

/// An overlay root: image snapshot directories plus the container's layer.
public struct OverlaySpec: Codable, Sendable, Equatable {
    /// Top-most first, as `lowerdir=` wants them.
    public var lowerDirs: [String]
    public var upperDir: String
    public var workDir: String

    public init(lowerDirs: [String], upperDir: String, workDir: String) {
        self.lowerDirs = lowerDirs
        self.upperDir = upperDir
        self.workDir = workDir
    }
}

/// The container's process as the user asked for it (image config merged
/// with `run` flags). `args` is the final argv.
public struct ProcessSpec: Codable, Sendable, Equatable {
    public var args: [String]
    /// `KEY=value`, in order; later entries win.
    public var env: [String]
    public var cwd: String
    /// `uid[:gid]` or a name; empty means root.
    public var user: String
    public var tty: Bool
    public var openStdin: Bool
    /// e.g. `SIGTERM`.
    public var stopSignal: String
    /// Seconds between the stop signal and SIGKILL.
    public var stopTimeout: Int
    /// The entrypoint and cmd as recorded (for `inspect`).
    public var entrypoint: [String]
    public var cmd: [String]

    public init(args: [String], env: [String] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                cwd: String = "/", user: String = "", tty: Bool = false, openStdin: Bool = false,
                stopSignal: String = "SIGTERM", stopTimeout: Int = 10, entrypoint: [String] = [], cmd: [String] = []) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.tty = tty
        self.openStdin = openStdin
        self.stopSignal = stopSignal
        self.stopTimeout = stopTimeout
        self.entrypoint = entrypoint
        self.cmd = cmd.isEmpty && entrypoint.isEmpty ? args : cmd
    }
}

/// One mount as `inspect` shows it.
public struct MountSpec: Codable, Sendable, Equatable {
    /// `bind`, `volume` or `tmpfs`.
    public var type: String
    /// Host path (bind), volume name (volume), empty (tmpfs).
    public var source: String
    public var destination: String
    /// The host directory or file mounted: the bind source, or the
    /// volume's `_data` directory; empty for tmpfs.
    public var hostPath: String
    public var readOnly: Bool
    /// tmpfs/bind options, e.g. `size=64m`, `rprivate`.
    public var options: [String]

    public init(type: String, source: String, destination: String, hostPath: String? = nil, readOnly: Bool = false,
                options: [String] = []) {
        self.type = type
        self.source = source
        self.destination = destination
        self.hostPath = hostPath ?? (type == "tmpfs" ? "" : source)
        self.readOnly = readOnly
        self.options = options
    }
}

/// Host-side settings (Docker's HostConfig).
public struct HostSpec: Codable, Sendable, Equatable {
    public var hostname: String
    public var mounts: [MountSpec]
    public var readOnlyRootfs: Bool
    public var privileged: Bool
    public var capAdd: [String]
    public var capDrop: [String]
    /// Bytes; 0 = unlimited.
    public var memory: Int64
    /// Nano-CPUs as Docker stores them (1.5 CPUs = 1_500_000_000).
    public var nanoCPUs: Int64
    /// 0 = unlimited.
    public var pidsLimit: Int64
    public var initProcess: Bool
    /// `none` until the networking module gives containers a bridge.
    public var networkMode: String
    /// `--device` / `devices:` as written (resolved against the host's
    /// nodes at every start); nil = none (records from before devices).
    public var devices: [DeviceMapping]? = nil
    /// `--device-cgroup-rule` / `device_cgroup_rules` (`c 42:* rmw`); nil = none.
    public var deviceCgroupRules: [String]? = nil

    public init(hostname: String = "", mounts: [MountSpec] = [], readOnlyRootfs: Bool = false, privileged: Bool = false,
                capAdd: [String] = [], capDrop: [String] = [], memory: Int64 = 0, nanoCPUs: Int64 = 0, pidsLimit: Int64 = 0,
                initProcess: Bool = false, networkMode: String = "none", devices: [DeviceMapping]? = nil,
                deviceCgroupRules: [String]? = nil) {
        self.hostname = hostname
        self.mounts = mounts
        self.readOnlyRootfs = readOnlyRootfs
        self.privileged = privileged
        self.capAdd = capAdd
        self.capDrop = capDrop
        self.memory = memory
        self.nanoCPUs = nanoCPUs
        self.pidsLimit = pidsLimit
        self.initProcess = initProcess
        self.networkMode = networkMode
        self.devices = devices
        self.deviceCgroupRules = deviceCgroupRules
    }
}

/// Docker's json-file options: `max-size` (bytes, 0 = unlimited) and
/// `max-file` (how many files to keep, including the live one).
public struct LogOptions: Codable, Sendable, Equatable {
    public var maxSize: Int64
    public var maxFile: Int

    public init(maxSize: Int64 = 0, maxFile: Int = 1) {
        self.maxSize = maxSize
        self.maxFile = max(1, maxFile)
    }
}
