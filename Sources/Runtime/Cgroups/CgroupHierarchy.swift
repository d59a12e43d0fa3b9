import Synchronization
import SystemCalls

/// Where the cgroup filesystems are: cgroup v2 alone (unified), or v1
/// controller hierarchies, possibly with a v2 mount beside them (hybrid).
/// Injectable: tests point it at a temporary directory.
public struct CgroupHierarchy: Sendable, Equatable {
    /// v1 controller name (`memory`, `cpu`, `cpuacct`, `cpuset`, `pids`,
    /// `devices`, `freezer`, `blkio`) → mount point.
    public var v1: [String: String]
    /// The cgroup2 mount (unified or hybrid), if any.
    public var v2: String?
    /// Write files that do not exist yet (a fake tree in tests) instead of failing.
    public var createsFiles: Bool = false

    public init(v1: [String: String], v2: String?, createsFiles: Bool = false) {
        self.v1 = v1
        self.v2 = v2
        self.createsFiles = createsFiles
    }

    /// Pure v2 when no v1 controller is mounted.
    public var isUnified: Bool { v1.isEmpty && v2 != nil }

    /// Parses /proc/self/mountinfo. Controllers co-mounted (`cpu,cpuacct`)
    /// map to the same path; `name=systemd` is ignored.
    public static func parse(mountinfo: String) -> CgroupHierarchy {
        var v1: [String: String] = [:]
        var v2: String?
        // Bytes, not Characters: this runs at every monitor's start.
        for line in mountinfo.utf8.split(separator: UInt8(ascii: "\n")) {
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard let dash = parts.firstIndex(where: { $0.elementsEqual("-".utf8) }), dash > 4, parts.count > dash + 2 else { continue }
            let fstype = parts[dash + 1]
            if fstype.elementsEqual("cgroup2".utf8) {
                v2 = String(decoding: parts[4], as: UTF8.self)
            } else if fstype.elementsEqual("cgroup".utf8) {
                let point = String(decoding: parts[4], as: UTF8.self)
                let options = parts.count > dash + 3 ? parts[dash + 3] : parts[dash + 1].prefix(0)
                for opt in options.split(separator: UInt8(ascii: ",")) {
                    let o = String(decoding: opt, as: UTF8.self)
                    if CgroupHierarchy.knownV1.contains(o) { v1[o] = point }
                }
            }
        }
        return CgroupHierarchy(v1: v1, v2: v2)
    }

    static let knownV1: Set<String> = ["memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio"]

    /// The machine's hierarchy (read once from /proc/self/mountinfo).
    public static func system() throws -> CgroupHierarchy {
        if let cached = systemCache.value { return cached }
        let text = try Sys.readFile("/proc/self/mountinfo")
        let h = parse(mountinfo: text)
        systemCache.value = h
        return h
    }

    private static let systemCache = LockedBox<CgroupHierarchy?>(nil)
}


/// A small thread-safe box.
final class LockedBox<T: Sendable>: Sendable {
    private let storage: Mutex<T>
    init(_ value: T) { storage = Mutex(value) }
    var value: T {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
