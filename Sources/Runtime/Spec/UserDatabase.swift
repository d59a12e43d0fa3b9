import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// The container's own /etc/passwd and /etc/group, parsed by berth (never
/// through getpwnam/NSS, which would load modules from the container).
public struct UserDatabase: Sendable, Equatable {
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var gid: UInt32
        public var members: [String]
    }

    public var users: [User]
    public var groups: [Group]

    public init(users: [User] = [], groups: [Group] = []) {
        self.users = users
        self.groups = groups
    }

    /// Parses passwd and group text; malformed lines are skipped (as libc does).
    public static func parse(passwd: String, group: String) -> UserDatabase {
        var db = UserDatabase()
        for line in passwd.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, !f[0].isEmpty, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { continue }
            db.users.append(User(name: String(f[0]), uid: uid, gid: gid, home: f.count > 5 ? String(f[5]) : "/"))
        }
        for line in group.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, !f[0].isEmpty, let gid = UInt32(f[2]) else { continue }
            let members = f.count > 3 ? f[3].split(separator: ",").map { String($0).trimmingWhitespace } : []
            db.groups.append(Group(name: String(f[0]), gid: gid, members: members.filter { !$0.isEmpty }))
        }
        return db
    }

    /// Reads `etc/passwd` and `etc/group` of a root directory with
    /// openat2(RESOLVE_IN_ROOT), so symlinks in the image cannot point the
    /// read at the host's files. Missing files give an empty database.
    public static func load(rootfs: String) throws -> UserDatabase {
        let root = try Sys.open(rootfs, Sys.oPath | O_DIRECTORY)
        let passwd = try readInRoot(root.raw, "/etc/passwd")
        let group = try readInRoot(root.raw, "/etc/group")
        return parse(passwd: passwd, group: group)
    }

    private static func readInRoot(_ root: Int32, _ path: String) throws -> String {
        let fd: OwnedDescriptor
        do {
            fd = try Sys.openat2(root, path, O_RDONLY, resolve: [.inRoot, .noMagicLinks])
        } catch {
            if error.errno == ENOENT { return "" }
            throw error
        }
        return try Sys.readFile("/proc/self/fd/\(fd.raw)")
    }

    /// Docker's `user` rule: `name|uid[:group|gid]`. A name must exist in
    /// passwd; a uid need not (then gid 0, home /). A group name must exist
    /// in group. Supplementary groups: every group listing the user as a
    /// member (when the user is in passwd), then `additionalGroups`.
    public func resolve(_ spec: String, additionalGroups: [String] = []) throws -> (user: ProcessUser, home: String) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts.first ?? ""
        let groupPart = parts.count > 1 ? parts[1] : nil
        var uid: UInt32 = 0, gid: UInt32 = 0, home = "/"
        var entry: User?
        if userPart.isEmpty {
            entry = users.first { $0.uid == 0 }
        } else if let n = UInt32(userPart) {
            uid = n
            entry = users.first { $0.uid == n }
        } else {
            guard let u = users.first(where: { $0.name == userPart }) else {
                throw LaunchPlanError("unable to find user \(userPart): no matching entries in passwd file")
            }
            entry = u
        }
        if let entry {
            uid = entry.uid
            gid = entry.gid
            home = entry.home.isEmpty ? "/" : entry.home
        }
        if let groupPart, !groupPart.isEmpty {
            gid = try groupID(groupPart)
        }
        var extra: [UInt32] = []
        if let name = entry?.name {
            extra = groups.filter { $0.members.contains(name) }.map(\.gid)
        }
        for g in additionalGroups { extra.append(try groupID(g)) }
        var seen = Set<UInt32>()
        extra = extra.filter { seen.insert($0).inserted }
        return (ProcessUser(uid: uid, gid: gid, additionalGids: extra), home)
    }

    private func groupID(_ s: String) throws -> UInt32 {
        if let n = UInt32(s) { return n }
        guard let g = groups.first(where: { $0.name == s }) else {
            throw LaunchPlanError("unable to find group \(s): no matching entries in group file")
        }
        return g.gid
    }
}
