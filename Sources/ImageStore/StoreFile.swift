// ImageStore owns berth's images on disk: the content store (blobs by
// digest), layer unpacking into snapshots keyed by chain ID, image records
// (tags → manifest), archive load/save/import and garbage collection.
// It never writes outside its own directories under the state root: layer
// contents are only ever created through directory fds resolved with
// openat2(RESOLVE_IN_ROOT) below a snapshot, never through path strings.
// It never starts containers or talks to registries.
import CUnpack
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// An owned file descriptor, closed on deinit.
final class StoreFile {
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> StoreFile {
        let fd = retryEINTR { Glibc.open(path, flags | O_CLOEXEC, mode) }
        if fd < 0 { throw SystemError.current("open", path) }
        return StoreFile(fd: fd, path: path)
    }

    /// Writes all of `buffer`.
    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard var p = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.current("write", path)
            }
            p += n
            left -= n
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError.current("read", path) }
        }
    }

    func readAll(limit: Int = 64 << 20) throws -> [UInt8] {
        try Sys.readAll(fd: fd, path: path, limit: limit)
    }

    func sync() throws {
        if fsync(fd) != 0 { throw SystemError.current("fsync", path) }
    }
}

func retryEINTR(_ body: () -> Int32) -> Int32 {
    while true {
        let r = body()
        if r >= 0 || errno != EINTR { return r }
    }
}

/// Filesystem operations on paths inside berth's own state directories
/// (never inside layer contents: those go through `LayerUnpacker`).
enum StateFS {
    /// `mkdir -p`.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR { return }
            throw SystemError("mkdir", path, errno: ENOTDIR)
        }
        try makeDirectories(parent(of: path), mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError.current("mkdir", path) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Reads a whole (small) file.
    static func read(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        try StoreFile.open(path, O_RDONLY).readAll(limit: limit)
    }

    /// temp + fsync + rename + fsync(dir): readers see the old or the new file, never a mix.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let dir = parent(of: path)
        try makeDirectories(dir)
        let temp = "\(dir)/.tmp-\(randomHex(8))"
        do {
            let f = try StoreFile.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
            try f.write(bytes)
            try f.sync()
            if rename(temp, path) != 0 { throw SystemError.current("rename", "\(temp) to \(path)") }
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(dir)
    }

    static func syncDirectory(_ dir: String) throws {
        let d = try StoreFile.open(dir, O_RDONLY | O_DIRECTORY)
        try d.sync()
    }

    /// Entry names in a directory (without . and ..); empty if it does not exist.
    static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `rm -rf` of a directory berth owns, without following symlinks.
    static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SystemError.current("lstat", path)
        }
        if st.st_mode & S_IFMT != S_IFDIR {
            if unlink(path) != 0 && errno != ENOENT { throw SystemError.current("unlink", path) }
            return
        }
        let fd = retryEINTR { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 { throw SystemError.current("open", path) }
        try removeContents(of: fd, path: path)
        close(fd)
        if rmdir(path) != 0 && errno != ENOENT { throw SystemError.current("rmdir", path) }
    }

    /// Removes everything inside the directory `fd` (which stays open).
    static func removeContents(of fd: Int32, path: String) throws {
        let dup = dup(fd)
        guard dup >= 0, let d = fdopendir(dup) else { throw SystemError.current("opendir", path) }
        defer { closedir(d) }
        var entries: [(String, UInt8)] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { entries.append((name, e.pointee.d_type)) }
        }
        for (name, type) in entries {
            var isDir = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) {
                var st = stat()
                isDir = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFDIR
            }
            if isDir {
                let child = retryEINTR { openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                if child < 0 { throw SystemError.current("open", "\(path)/\(name)") }
                defer { close(child) }
                try removeContents(of: child, path: "\(path)/\(name)")
                if unlinkat(fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
                    throw SystemError.current("rmdir", "\(path)/\(name)")
                }
            } else if unlinkat(fd, name, 0) != 0 && errno != ENOENT {
                throw SystemError.current("unlink", "\(path)/\(name)")
            }
        }
    }
}

/// `n` random bytes as hex, for temp names.
func randomHex(_ n: Int) -> String {
    var out = ""
    for _ in 0..<n {
        let b = UInt8.random(in: 0...255)
        out += (b < 16 ? "0" : "") + String(b, radix: 16)
    }
    return out
}
