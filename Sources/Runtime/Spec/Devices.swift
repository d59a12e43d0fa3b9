import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// `--device HOST[:CONTAINER[:PERMS]]` / a compose `devices:` entry as the
/// user wrote it. Stored in the container record; resolved against the
/// host's device nodes (`resolve()`) at create time (to fail early) and at
/// every start (as Docker does).
public struct DeviceMapping: Codable, Sendable, Equatable {
    public var hostPath: String
    public var containerPath: String
    /// cgroup permissions, a non-empty subset of `rwm`.
    public var permissions: String

    public init(hostPath: String, containerPath: String? = nil, permissions: String = "rwm") {
        self.hostPath = hostPath
        self.containerPath = containerPath ?? hostPath
        self.permissions = permissions
    }

    /// Docker's `--device` syntax: `HOST`, `HOST:CONTAINER`, `HOST:PERMS`,
    /// `HOST:CONTAINER:PERMS` (a middle part that is a valid mode is the
    /// mode, as Docker reads it).
    public static func parse(_ spec: String) throws(DeviceSpecError) -> DeviceMapping {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var permissions = "rwm"
        var target = ""
        switch parts.count {
        case 1: break
        case 2, 3:
            if isValidPermissions(parts[1]) { permissions = parts[1] } else { target = parts[1] }
            if parts.count == 3 { permissions = parts[2] }
        default: throw DeviceSpecError("invalid device specification: \(spec)")
        }
        let source = parts[0]
        guard !source.isEmpty else { throw DeviceSpecError("invalid device specification: \(spec)") }
        let mapping = DeviceMapping(hostPath: source, containerPath: target.isEmpty ? source : target, permissions: permissions)
        try mapping.validate(spec: spec)
        return mapping
    }

    /// Absolute paths and a valid mode (what `parse` checks; compose entries
    /// are checked with this too).
    public func validate(spec: String? = nil) throws(DeviceSpecError) {
        let what = spec ?? "\(hostPath):\(containerPath):\(permissions)"
        guard DeviceMapping.isValidPermissions(permissions) else {
            throw DeviceSpecError("invalid device specification: \(what): bad mode specified: \(permissions)")
        }
        guard hostPath.hasPrefix("/") else { throw DeviceSpecError("invalid device specification: \(what): \(hostPath) is not an absolute path") }
        guard containerPath.hasPrefix("/") else {
            throw DeviceSpecError("invalid device specification: \(what): \(containerPath) is not an absolute path")
        }
        guard !containerPath.split(separator: "/").contains("..") else {
            throw DeviceSpecError("invalid device specification: \(what): \(containerPath) must not contain \"..\"")
        }
    }

    /// Non-empty, only `r`, `w`, `m`, each at most once.
    public static func isValidPermissions(_ mode: String) -> Bool {
        !mode.isEmpty && mode.count <= 3 && Set(mode).count == mode.count && mode.allSatisfy { "rwm".contains($0) }
    }

    /// The device nodes this mapping gives the container: the host node (a
    /// symlink is followed), or every device node under a host directory
    /// (symlinks inside it are skipped), placed under `containerPath`.
    public func resolve() throws -> [DeviceNode] {
        var st = stat()
        guard stat(hostPath, &st) == 0 else {
            let e = errno
            throw DeviceSpecError("error gathering device information while adding custom device \"\(hostPath)\": "
                                  + String(cString: strerror(e)).lowercased() + " (\(SystemError.name(of: e)))")
        }
        if let node = DeviceNode(stat: st, path: containerPath, permissions: permissions) { return [node] }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw DeviceSpecError("error gathering device information while adding custom device \"\(hostPath)\": not a device node")
        }
        var out: [DeviceNode] = []
        walk(hostPath, into: containerPath == "/" ? "" : containerPath, &out, depth: 0, skipping: [])
        return out
    }

    /// What a privileged container gets, as Docker (containerd's
    /// `HostDevices`): every device node under the host's /dev, rwm, except
    /// the directories with their own filesystems inside the container
    /// (pts, shm, mqueue, fd, …) and the nodes berth makes itself (null,
    /// zero, full, random, urandom, tty, ptmx, console).
    public static func hostDevices(root: String = "/dev") -> [DeviceNode] {
        var out: [DeviceNode] = []
        DeviceMapping(hostPath: root, containerPath: "/dev").walk(root, into: "/dev", &out, depth: 0, skipping: [
            "pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev",
            "null", "zero", "full", "random", "urandom", "tty", "ptmx", "console",
        ])
        return out
    }

    /// `skipping`: names left out at the top level only.
    private func walk(_ dir: String, into target: String, _ out: inout [DeviceNode], depth: Int, skipping: Set<String>) {
        guard depth < 16, let names = try? Sys.listDirectory(dir) else { return }
        for name in names.sorted() where !skipping.contains(name) {
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0 else { continue }
            if let node = DeviceNode(stat: st, path: target + "/" + name, permissions: permissions) {
                out.append(node)
            } else if st.st_mode & S_IFMT == S_IFDIR {
                walk(dir + "/" + name, into: target + "/" + name, &out, depth: depth + 1, skipping: [])
            }
        }
    }
}

/// One device node to create inside the container (runc's `LinuxDevice`).
public struct DeviceNode: Sendable, Equatable {
    /// Absolute path inside the container.
    public var path: String
    /// "c" or "b".
    public var type: Character
    public var major: UInt32
    public var minor: UInt32
    /// Permission bits of the node (the host node's, e.g. 0o666).
    public var fileMode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// cgroup access granted for it (`rwm` subset).
    public var permissions: String

    public init(path: String, type: Character, major: UInt32, minor: UInt32, fileMode: UInt32 = 0o666,
                uid: UInt32 = 0, gid: UInt32 = 0, permissions: String = "rwm") {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
        self.permissions = permissions
    }

    /// nil unless `st` is a char or block device.
    init?(stat st: stat, path: String, permissions: String) {
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFCHR || kind == S_IFBLK else { return nil }
        self.init(path: path, type: kind == S_IFCHR ? "c" : "b", major: DeviceNode.major(of: UInt64(st.st_rdev)),
                  minor: DeviceNode.minor(of: UInt64(st.st_rdev)), fileMode: UInt32(st.st_mode & 0o7777),
                  uid: st.st_uid, gid: st.st_gid, permissions: permissions)
    }

    /// glibc's `major()`/`minor()` split of a `dev_t` (macros, not imported).
    static func major(of dev: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)) }
    static func minor(of dev: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff)) }

    /// The cgroup allow rule that lets the container use the node.
    public var rule: DeviceRule {
        DeviceRule(allow: true, type: type, major: Int64(major), minor: Int64(minor), access: permissions)
    }
}

extension DeviceRule {
    /// Docker's `--device-cgroup-rule` / `device_cgroup_rules` syntax:
    /// `TYPE MAJOR:MINOR ACCESS` (`c 42:* rmw`, `a *:* rwm`), always allow
    /// rules: one, or for `a` with less than `rwm` one per type (the v1
    /// `a` line always means all access).
    public static func parse(_ text: String) throws(DeviceSpecError) -> [DeviceRule] {
        let bad = DeviceSpecError("invalid device cgroup format '\(text)'")
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, let type = fields[0].first, fields[0].count == 1, "acb".contains(type) else { throw bad }
        let numbers = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else { throw bad }
        func number(_ s: Substring) throws(DeviceSpecError) -> Int64? {
            if s == "*" { return nil }
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(s), n <= Int64(UInt32.max) else { throw bad }
            return n
        }
        let access = String(fields[2])
        guard !access.isEmpty, access.count <= 3, access.allSatisfy({ "rwm".contains($0) }) else { throw bad }
        let major = try number(numbers[0]), minor = try number(numbers[1])
        if type == "a" {
            guard major == nil, minor == nil else { throw bad }
            if Set(access) == Set("rwm") { return [DeviceRule(allow: true, type: "a", major: nil, minor: nil, access: "rwm")] }
            return ["c", "b"].map { DeviceRule(allow: true, type: $0, major: nil, minor: nil, access: access) }
        }
        return [DeviceRule(allow: true, type: type, major: major, minor: minor, access: access)]
    }
}

/// A `--device` / `--device-cgroup-rule` value Docker would refuse, or a host
/// device that cannot be used.
public struct DeviceSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
