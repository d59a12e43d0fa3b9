import CMonitor
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// File operations for berth's state directories, without Foundation.
/// Every write is atomic: temp file in the same directory, fsync, rename,
/// fsync of the directory.
public enum StateFile {
    /// The whole file, or nil when it does not exist.
    public static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SystemError.current("open", path)
        }
        defer { close(fd) }
        return try Sys.readAll(fd: fd, path: path)
    }

    public static func readText(_ path: String) throws -> String? {
        try read(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `bytes` to `path` atomically: temp file, fsync, rename, so that
    /// after a crash the path holds the old or the new content, never a torn
    /// one. With `durable` the directory is fsynced too, so that the rename
    /// itself survives a crash; without it a crash may bring back the
    /// previous version (or no file), which callers that reconcile what they
    /// read (container state) accept, for one fsync less per write.
    /// Without `synced` nothing is fsynced (readers see the new content at
    /// once; after a crash the file may be missing, empty or torn): for
    /// files whose loss a crash makes irrelevant (a `--rm` container's record).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644,
                                       durable: Bool = true, synced: Bool = true) throws {
        let dir = parent(of: path)
        var (fd, temp) = try openTemp(for: path, mode: mode)
        do {
            try writeAll(fd: fd, bytes, path: temp)
            if synced && fsync(fd) != 0 { throw SystemError.current("fsync", temp) }
            close(fd)
            fd = -1   // closed once only: another thread may get the number next
            if rename(temp, path) != 0 { throw SystemError.current("rename", "\(temp) to \(path)") }
        } catch {
            if fd >= 0 { close(fd) }
            unlink(temp)
            throw error
        }
        guard durable && synced else { return }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Several files, each written as `writeAtomically` without `durable`
    /// (temp file, fsync, rename: never torn), with the fsyncs batched by
    /// `cm_parallel_fs`: when the device is slow they overlap and cost
    /// about one device round trip instead of one each. On failure no temp file is left; files
    /// already renamed stay. Without `synced` nothing is fsynced (see
    /// `writeAtomically(_:_:mode:durable:synced:)`).
    public static func writeAtomically(files: [(path: String, bytes: [UInt8])], mode: mode_t = 0o644,
                                       synced: Bool = true) throws {
        var temps: [(fd: Int32, temp: String, path: String)] = []
        func discard() {
            for t in temps {
                if t.fd >= 0 { close(t.fd) }
                unlink(t.temp)
            }
        }
        do {
            for f in files {
                let (fd, temp) = try openTemp(for: f.path, mode: mode)
                temps.append((fd, temp, f.path))
                try writeAll(fd: fd, f.bytes, path: temp)
            }
            let fds = temps.map(\.fd)
            let ops = [Int32](repeating: Int32(CM_OP_FSYNC), count: fds.count)
            var failed: Int32 = -1
            let rc = synced ? cm_parallel_fs(ops, nil, fds, Int32(fds.count), &failed) : 0
            if rc != 0 { throw SystemError("fsync", temps[Int(max(0, failed))].temp, errno: rc) }
            for i in temps.indices {
                close(temps[i].fd)
                temps[i].fd = -1
            }
            while let t = temps.first {
                if rename(t.temp, t.path) != 0 { throw SystemError.current("rename", "\(t.temp) to \(t.path)") }
                temps.removeFirst()
            }
        } catch {
            discard()
            throw error
        }
    }

    /// The temp file that is written and then renamed over `path`
    /// (`.<name>.<pid>.<random>.tmp` next to it): the spare
    /// `.<name>.spare` a recycled record directory holds (`RecordRecycling`),
    /// claimed by renaming it and truncated, so that no inode is made (and
    /// later freed) on the disk, and it keeps its permission bits, which the
    /// same writer gave it; otherwise a new file of `mode`.
    static func openTemp(for path: String, mode: mode_t) throws -> (fd: Int32, temp: String) {
        let dir = parent(of: path), name = basename(of: path)
        let temp = "\(dir)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        if rename("\(dir)/.\(name).spare", temp) == 0 {
            let fd = open(temp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 { return (fd, temp) }
            unlink(temp)
        }
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError.current("create", temp) }
        return (fd, temp)
    }

    public static func writeAtomically(_ path: String, text: String, durable: Bool = true, synced: Bool = true) throws {
        try writeAtomically(path, Array(text.utf8), durable: durable, synced: synced)
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; throw SystemError.current("write", path) }
                off += n
            }
        }
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw SystemError("mkdir", path, errno: ENOTDIR)
        }
        try makeDirectories(parent(of: path), mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError.current("mkdir", path) }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory (without `.` and `..`); empty when it is missing.
    public static func list(_ path: String) -> [String] {
        (try? Sys.listDirectory(path)) ?? []
    }

    /// `rm -rf` that never follows symlinks and never crosses into a mount
    /// point below `path` (a mount still there is reported as EBUSY).
    public static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SystemError.current("lstat", path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { try removeTree("\(path)/\(name)") }
            if rmdir(path) != 0 && errno != ENOENT { throw SystemError.current("rmdir", path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw SystemError.current("unlink", path)
        }
    }

    /// `removeTree` in three batches for `cm_parallel_fs` (overlapping
    /// when the device is slow): every non-directory, then every directory below
    /// the top one (deeper ones are first renamed to be children of the
    /// top, so that each is empty once the files are gone), then the top.
    /// On storage where each unlink or rmdir waits for the device (online
    /// discard) this takes a few device round trips instead of one per
    /// entry. Falls back to `removeTree` for what is left when a step fails
    /// (another process removing the same tree, a rename refused).
    public static func removeTreeConcurrently(_ path: String) throws {
        var files: [String] = []
        var directories: [(path: String, depth: Int)] = []
        func walk(_ p: String, depth: Int) throws {
            var st = stat()
            if lstat(p, &st) != 0 {
                if errno == ENOENT { return }
                throw SystemError.current("lstat", p)
            }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { return files.append(p) }
            directories.append((p, depth))
            for name in list(p) { try walk("\(p)/\(name)", depth: depth + 1) }
        }
        try walk(path, depth: 0)
        guard !directories.isEmpty else {
            if unlink(path) != 0 && errno != ENOENT { throw SystemError.current("unlink", path) }
            return
        }
        do {
            try concurrently(files.map { (CM_OP_UNLINK, $0) })
            // Deepest first, so that a renamed directory's path is still the walked one.
            var flat: [String] = []
            for (i, d) in directories.enumerated().sorted(by: { $0.element.depth > $1.element.depth }) where d.depth >= 1 {
                if d.depth == 1 { flat.append(d.path); continue }
                let target = "\(path)/.removing-\(i)"
                if rename(d.path, target) != 0 { throw SystemError.current("rename", "\(d.path) to \(target)") }
                flat.append(target)
            }
            try concurrently(flat.map { (CM_OP_RMDIR, $0) })
            if rmdir(path) != 0 && errno != ENOENT { throw SystemError.current("rmdir", path) }
        } catch {
            try removeTree(path)
        }
    }

    /// Unlinks or removes every path (see `cm_parallel_fs`).
    private static func concurrently(_ entries: [(op: Int, path: String)]) throws {
        if entries.isEmpty { return }
        let cPaths = entries.map { strdup($0.path) }
        defer { for p in cPaths { free(p) } }
        let ops = entries.map { Int32($0.op) }
        var failed: Int32 = -1
        let rc = cPaths.map { UnsafePointer($0) }.withUnsafeBufferPointer { paths in
            cm_parallel_fs(ops, paths.baseAddress, nil, Int32(entries.count), &failed)
        }
        if rc != 0 {
            let entry = entries[Int(max(0, failed))]
            throw SystemError(entry.op == CM_OP_RMDIR ? "rmdir" : "unlink", entry.path, errno: rc)
        }
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// An exclusive `flock` held for the lifetime of a scope. Two berth
/// processes touching one container (or the name index) serialize on it.
public struct FileLock: ~Copyable {
    private let fd: Int32

    /// Opens (creating) `path` and blocks until the exclusive lock is held.
    public init(path: String) throws {
        try StateFile.makeDirectories(StateFile.parent(of: path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw SystemError.current("open", path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw SystemError("flock", path, errno: e)
        }
        self.fd = fd
    }

    /// Locks an existing directory itself (flock on an `O_DIRECTORY`
    /// descriptor): no lock file to create, and none to delete. Throws
    /// (ENOENT) when the directory is gone, rather than re-creating it.
    public init(directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SystemError.current("open", directory) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw SystemError("flock", directory, errno: e)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Runs `body` holding the lock on the directory `directory`.
    public static func withDirectoryLock<R>(_ directory: String, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(directory: directory)
        defer { _ = lock }
        return try body()
    }

    /// Runs `body` holding the lock at `path`.
    public static func withLock<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(path: path)
        defer { _ = lock }
        return try body()
    }
}
