import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// `berth cp` into and out of a container. Paths inside the container are
/// resolved with openat2(RESOLVE_IN_ROOT) against the container's root
/// (`/proc/<pid>/root` while it runs; its overlay mounted in a private mount
/// namespace when it does not, see `withStoppedContainer`), so a symlink in
/// the container can never lead outside it; below that, every entry is
/// opened relative to its already-resolved parent with O_NOFOLLOW, and
/// symlinks are copied as links.
public struct ContainerCopy {
    /// A directory fd of the container's root.
    let root: OwnedDescriptor
    /// `cp -a`: copies keep the source's uid/gid (otherwise they belong to
    /// root inside the container, to berth's user on the host).
    public var archive = false

    public init(pid: Int32, archive: Bool = false) throws {
        root = try Sys.open("/proc/\(pid)/root", O_RDONLY | O_DIRECTORY)
        self.archive = archive
    }

    /// Copies relative to `root`, a directory that stands for the container's `/`.
    init(root: OwnedDescriptor, archive: Bool) {
        self.root = root
        self.archive = archive
    }

    // MARK: Out of the container

    /// Copies `path` (inside) to `destination` on the host. A directory
    /// destination that exists receives the source under its own name.
    public func copyOut(_ path: String, to destination: String) throws {
        let src = try Sys.openat2(root.raw, path, O_RDONLY | O_NOFOLLOW | Sys.oPath, resolve: [.inRoot, .noMagicLinks])
        var st = stat()
        if fstat(src.raw, &st) != 0 { throw SystemError.current("fstat", path) }
        var target = destination
        if StateFile.isDirectory(destination) { target = destination + "/" + ContainerCopy.baseName(path) }
        try copyOut(fd: src.raw, st: st, name: path, to: target)
    }

    private func copyOut(fd: Int32, st: stat, name: String, to target: String) throws {
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            let dir = try Sys.openat2(fd, ".", O_RDONLY | O_DIRECTORY, resolve: [.beneath])
            if mkdir(target, st.st_mode & 0o7777) != 0 && errno != EEXIST { throw SystemError.current("mkdir", target) }
            for entry in ContainerCopy.entries(dir.raw) {
                let child = openat(dir.raw, entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | Sys.oPath)
                if child < 0 { throw SystemError.current("open", "\(name)/\(entry)") }
                defer { close(child) }
                var cst = stat()
                if fstat(child, &cst) != 0 { throw SystemError.current("fstat", "\(name)/\(entry)") }
                try copyOut(fd: child, st: cst, name: "\(name)/\(entry)", to: "\(target)/\(entry)")
            }
            try keepOwner(st, AT_FDCWD, target)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlinkat(fd, "", &buf, buf.count - 1)
            if n < 0 { throw SystemError.current("readlink", name) }
            let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            unlink(target)
            if symlink(link, target) != 0 { throw SystemError.current("symlink", target) }
            try keepOwner(st, AT_FDCWD, target)
        case S_IFREG:
            let input = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC)
            if input < 0 { throw SystemError.current("open", name) }
            defer { close(input) }
            let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 0o7777)
            if output < 0 { throw SystemError.current("create", target) }
            defer { close(output) }
            try ContainerCopy.pump(input, output, name)
            try keepOwner(st, AT_FDCWD, target)
        default:
            return  // devices, fifos, sockets are not copied
        }
    }

    // MARK: Into the container

    /// Copies host `source` into the container at `path`. An existing
    /// directory at `path` receives the source under its own name.
    public func copyIn(_ source: String, to path: String) throws {
        var st = stat()
        if lstat(source, &st) != 0 { throw SystemError.current("lstat", source) }
        var parentPath = ContainerCopy.parentName(path)
        var name = ContainerCopy.baseName(path)
        if let existing = try? Sys.openat2(root.raw, path, O_RDONLY | O_DIRECTORY, resolve: [.inRoot, .noMagicLinks]) {
            _ = existing
            parentPath = path
            name = ContainerCopy.baseName(source)
        }
        let parent = try Sys.openat2(root.raw, parentPath, O_RDONLY | O_DIRECTORY, resolve: [.inRoot, .noMagicLinks])
        try copyIn(source, st: st, into: parent.raw, name: name)
    }

    private func copyIn(_ source: String, st: stat, into dir: Int32, name: String) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw SystemError("copy", name, errno: EINVAL)
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            if mkdirat(dir, name, st.st_mode & 0o7777) != 0 && errno != EEXIST { throw SystemError.current("mkdir", name) }
            let sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub < 0 { throw SystemError.current("open", name) }
            defer { close(sub) }
            for entry in StateFile.list(source) {
                var cst = stat()
                if lstat("\(source)/\(entry)", &cst) != 0 { throw SystemError.current("lstat", "\(source)/\(entry)") }
                try copyIn("\(source)/\(entry)", st: cst, into: sub, name: entry)
            }
            try keepOwner(st, dir, name)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(source, &buf, buf.count - 1)
            if n < 0 { throw SystemError.current("readlink", source) }
            let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            unlinkat(dir, name, 0)
            if symlinkat(link, dir, name) != 0 { throw SystemError.current("symlink", name) }
            try keepOwner(st, dir, name)
        case S_IFREG:
            let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if input < 0 { throw SystemError.current("open", source) }
            defer { close(input) }
            // O_NOFOLLOW: a symlink planted at the target is never written through.
            let output = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0o7777)
            if output < 0 { throw SystemError.current("create", name) }
            defer { close(output) }
            try ContainerCopy.pump(input, output, name)
            try keepOwner(st, dir, name)
        default:
            return
        }
    }

    // MARK: Helpers

    /// With `archive`, gives `name` (relative to `dir`, not following a
    /// link) the owner of the source.
    private func keepOwner(_ st: stat, _ dir: Int32, _ name: String) throws {
        guard archive else { return }
        if fchownat(dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw SystemError.current("chown", name)
        }
    }

    static func pump(_ input: Int32, _ output: Int32, _ name: String) throws {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(input, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; throw SystemError.current("read", name) }
            if n == 0 { return }
            try StateFile.writeAll(fd: output, Array(buf[0..<n]), path: name)
        }
    }

    static func entries(_ dirfd: Int32) -> [String] {
        let dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)
        guard dup >= 0, let d = fdopendir(dup) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func baseName(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return StateFile.basename(of: p)
    }

    static func parentName(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        let parent = StateFile.parent(of: p)
        return parent == "." ? "/" : parent
    }
}
