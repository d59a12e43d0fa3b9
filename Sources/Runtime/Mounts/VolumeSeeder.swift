import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Docker's named/anonymous volume rule: on first use, an empty volume is
/// filled with what the image has at the mount path (files, directories,
/// symlinks as link text, owners and modes; the volume directory takes the
/// owner and mode of the image's directory).
///
/// The image side is opened with openat2(RESOLVE_IN_ROOT) and walked with
/// *at calls and O_NOFOLLOW only, so a symlink in the image can never make
/// berth read or write a host path.
public enum VolumeSeeder {
    /// Copies `rootfs`'s `path` into `volume` when `volume` is empty and the
    /// image has a directory there. Returns whether anything was copied.
    @discardableResult
    public static func populateIfEmpty(volume: String, rootfs: String, path: String) throws -> Bool {
        let dst = try Sys.open(volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard try Sys.listDirectory(volume).isEmpty else { return false }
        let root = try Sys.open(rootfs, Sys.oPath | O_DIRECTORY)
        let cleaned = try PathRules.containerPath(path)
        let src: OwnedDescriptor
        do {
            src = try Sys.openat2(root.raw, cleaned, O_RDONLY | O_DIRECTORY, resolve: [.inRoot, .noMagicLinks])
        } catch {
            if error.errno == ENOENT || error.errno == ENOTDIR { return false }
            throw error
        }
        var st = stat()
        try Sys.call("fstat", cleaned) { fstat(src.raw, &st) }
        try Sys.call("fchown", volume) { fchown(dst.raw, st.st_uid, st.st_gid) }
        try Sys.call("fchmod", volume) { fchmod(dst.raw, st.st_mode & 0o7777) }
        try copyTree(from: src.raw, to: dst.raw, label: cleaned)
        return true
    }

    private static func entries(of dirfd: Int32, label: String) throws -> [String] {
        let dup = try Sys.call("fcntl F_DUPFD_CLOEXEC", label) { fcntl(dirfd, F_DUPFD_CLOEXEC, 0) }
        guard let dir = fdopendir(dup) else {
            close(dup)
            throw SystemError.current("fdopendir", label)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private static func copyTree(from src: Int32, to dst: Int32, label: String) throws {
        for name in try entries(of: src, label: label) {
            let path = "\(label)/\(name)"
            var st = stat()
            try Sys.call("fstatat", path) { fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try Sys.call("mkdirat", path) { mkdirat(dst, name, 0o700) }
                let s = try Sys.call("openat", path) { openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                defer { close(s) }
                let d = try Sys.call("openat", path) { openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                defer { close(d) }
                try copyTree(from: s, to: d, label: path)
                try Sys.call("fchown", path) { fchown(d, st.st_uid, st.st_gid) }
                try Sys.call("fchmod", path) { fchmod(d, st.st_mode & 0o7777) }
            case S_IFREG:
                let s = try Sys.call("openat", path) { openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
                defer { close(s) }
                let d = try Sys.call("openat", path) {
                    openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                }
                defer { close(d) }
                var buf = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = try Sys.call("read", path) { buf.withUnsafeMutableBytes { read(s, $0.baseAddress, $0.count) } }
                    if n == 0 { break }
                    var off = 0
                    while off < n {
                        let w = try Sys.call("write", path) {
                            buf.withUnsafeBytes { b -> Int in
                                guard let base = b.baseAddress else { return 0 }
                                return write(d, base + off, n - off)
                            }
                        }
                        off += w
                    }
                }
                try Sys.call("fchown", path) { fchown(d, st.st_uid, st.st_gid) }
                try Sys.call("fchmod", path) { fchmod(d, st.st_mode & 0o7777) }
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: 4097)
                let n = try Sys.call("readlinkat", path) { buf.withUnsafeMutableBufferPointer { b -> Int in
                    guard let base = b.baseAddress else { return -1 }
                    return readlinkat(src, name, base, 4096)
                } }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try Sys.call("symlinkat", path) { symlinkat(target, dst, name) }
                try Sys.call("fchownat", path) { fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) }
            default:
                continue   // device nodes, fifos and sockets are not copied into volumes
            }
        }
    }
}
