import CUnpack
import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What unpacking one layer produced.
public struct UnpackStats: Sendable, Hashable {
    public var entries = 0
    /// Bytes of regular-file content written.
    public var bytes: Int64 = 0
}

/// Applies one layer (a tar stream) to a directory, safely.
///
/// Safety rules (each covered by a malicious-tar test):
/// - member names are cleaned lexically; absolute names and names whose
///   `..` would climb above the root are refused;
/// - every parent directory is opened with openat2(RESOLVE_IN_ROOT) on the
///   root's fd, so symlinks planted by this or an earlier layer (`a -> /etc`,
///   chains, `../..`) resolve *inside* the root, never outside;
/// - the final component is created with *at calls that never follow it
///   (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat
///   without AT_SYMLINK_FOLLOW), after removing what was there;
/// - hard-link targets are resolved the same way, so they can only name
///   files inside the root;
/// - whiteouts must name a plain child (`.wh.x`, never `.wh..`/`.wh.`).
///
/// When `applyWhiteouts` is true the directory is the merged view of an
/// overlay mount (lower = parent snapshots), so deleting a path there makes
/// the kernel record a whiteout in the new snapshot; when false (the bottom
/// layer) whiteouts have nothing below them and are skipped.
final class LayerUnpacker {
    let rootFD: Int32
    let layerName: String
    let applyWhiteouts: Bool
    private(set) var stats = UnpackStats()

    /// Paths (joined, cleaned) created by this layer: whiteouts and opaque
    /// markers only hide content of lower layers (OCI image spec).
    private var created: Set<String> = []
    /// Directory times are set last (creating children changes them).
    private var directoryTimes: [([String], Int64, Int64)] = []
    /// The most recently resolved parent directory (entries come grouped by directory).
    private var cachedParent: (path: String, fd: Int32)?

    init(rootFD: Int32, layerName: String, applyWhiteouts: Bool) {
        self.rootFD = rootFD
        self.layerName = layerName
        self.applyWhiteouts = applyWhiteouts
    }

    deinit { dropCache() }

    /// Applies every member of `tar`.
    func apply(_ tar: TarReader) throws {
        while let entry = try tar.next() {
            try apply(entry, tar)
            stats.entries += 1
        }
        for (components, sec, nsec) in directoryTimes.reversed() {
            let parent = try openParent(components.dropLast(), create: false, cache: false)
            defer { closeParent(parent) }
            guard let fd = parent?.fd else { continue }
            var times = [timespec(tv_sec: Int(sec), tv_nsec: Int(nsec)), timespec(tv_sec: Int(sec), tv_nsec: Int(nsec))]
            let name = components.last ?? "."
            if utimensat(fd, name, &times, name == "." ? 0 : AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT {
                throw SystemError.current("utimensat", components.joined(separator: "/"))
            }
        }
    }

    private func unsafe(_ name: String, _ why: String) -> ImageStoreError {
        .unsafeLayerEntry(layer: layerName, entry: name, reason: why)
    }

    /// Lexically cleaned components of a member name.
    func clean(_ name: String, allowAbsolute: Bool) throws -> [String] {
        if name.utf8.contains(0) { throw unsafe(name, "name contains a NUL byte") }
        if name.hasPrefix("/") && !allowAbsolute {
            throw unsafe(name, "absolute path names are not allowed in layers")
        }
        var out: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if out.isEmpty { throw unsafe(name, "path climbs above the layer root with '..'") }
                out.removeLast()
                continue
            }
            out.append(String(part))
        }
        return out
    }

    private func apply(_ entry: TarEntry, _ tar: TarReader) throws {
        let components = try clean(entry.name, allowAbsolute: false)
        guard let base = components.last else {
            // "./": the root directory itself; apply its metadata only.
            if entry.kind == .directory {
                if fchownat(rootFD, "", entry.uid, entry.gid, berth_at_empty_path()) != 0 {
                    throw SystemError.current("chown", "/ of layer \(layerName)")
                }
                if fchmodat(rootFD, ".", mode_t(entry.mode), 0) != 0 {
                    throw SystemError.current("chmod", "/ of layer \(layerName)")
                }
                directoryTimes.append(([], entry.mtime, entry.mtimeNanoseconds))
            }
            return
        }
        let parentComponents = Array(components.dropLast())
        let path = components.joined(separator: "/")

        if base.hasPrefix(".wh.") {
            try applyWhiteout(entry.name, base: base, parent: parentComponents)
            return
        }

        guard let parent = try openParent(parentComponents[...], create: true) else {
            throw unsafe(entry.name, "parent directory could not be created")
        }
        defer { closeParent(parent) }
        let parentFD = parent.fd

        if entry.kind == .hardLink, let target = try? clean(entry.linkName, allowAbsolute: true), target == components {
            return  // a link to itself: nothing to do
        }
        // Creation is optimistic (most names are new): only when something
        // is already there is it removed, and the creation retried once.
        func replaceExisting() throws {
            var st = stat()
            guard fstatat(parentFD, base, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { return }
                throw SystemError.current("lstat", path)
            }
            try removeChild(parentFD, base, isDirectory: st.st_mode & S_IFMT == S_IFDIR, path: path)
        }
        func make(_ what: String, _ op: () -> Int32) throws -> Int32 {
            var r = op()
            if r < 0 && errno == EEXIST {
                try replaceExisting()
                r = op()
            }
            if r < 0 { throw SystemError.current(what, path) }
            return r
        }

        switch entry.kind {
        case .regular:
            let fd = try make("create") {
                retryEINTR { openat(parentFD, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            }
            let file = StoreFile(fd: fd, path: path)
            try tar.readData { try file.write($0) }
            stats.bytes += entry.size
            if fchown(fd, entry.uid, entry.gid) != 0 { throw SystemError.current("chown", path) }
            if fchmod(fd, mode_t(entry.mode)) != 0 { throw SystemError.current("chmod", path) }
            try setXattrs(fd, entry, path)
            var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds)),
                         timespec(tv_sec: Int(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds))]
            if futimens(fd, &times) != 0 { throw SystemError.current("utimensat", path) }
            created.insert(path)
            return
        case .directory:
            // A directory meeting a directory keeps it (and its contents).
            if mkdirat(parentFD, base, 0o700) != 0 {
                guard errno == EEXIST else { throw SystemError.current("mkdir", path) }
                if !StateFS.statIsDir(parentFD, base) {
                    _ = try make("mkdir") { mkdirat(parentFD, base, 0o700) }
                }
            }
            let fd = retryEINTR { openat(parentFD, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { throw SystemError.current("open", path) }
            defer { close(fd) }
            if fchown(fd, entry.uid, entry.gid) != 0 { throw SystemError.current("chown", path) }
            if fchmod(fd, mode_t(entry.mode)) != 0 { throw SystemError.current("chmod", path) }
            try setXattrs(fd, entry, path)
            directoryTimes.append((components, entry.mtime, entry.mtimeNanoseconds))
            created.insert(path)
            return
        case .symbolicLink:
            if entry.linkName.utf8.contains(0) { throw unsafe(entry.name, "link target contains a NUL byte") }
            // The target is stored as text and never followed while unpacking.
            _ = try make("symlink") { symlinkat(entry.linkName, parentFD, base) }
        case .hardLink:
            let target = try clean(entry.linkName, allowAbsolute: true)
            guard let targetBase = target.last else { throw unsafe(entry.name, "hard link to the layer root") }
            guard let targetParent = try openParent(target.dropLast(), create: false, cache: false) else {
                throw unsafe(entry.name, "hard link target \"\(entry.linkName)\" does not exist in the layer")
            }
            defer { closeParent(targetParent) }
            var r = linkat(targetParent.fd, targetBase, parentFD, base, 0)
            if r != 0 && errno == EEXIST {
                try replaceExisting()
                r = linkat(targetParent.fd, targetBase, parentFD, base, 0)
            }
            if r != 0 {
                if errno == ENOENT {
                    throw unsafe(entry.name, "hard link target \"\(entry.linkName)\" does not exist in the layer")
                }
                throw SystemError.current("link", "\(path) to \(entry.linkName)")
            }
            created.insert(path)
            return  // mode/owner belong to the shared inode, set by its first name
        case .characterDevice, .blockDevice, .fifo:
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : (entry.kind == .blockDevice ? S_IFBLK : S_IFCHR)
            let dev = entry.kind == .fifo ? 0 : berth_makedev(entry.devMajor, entry.devMinor)
            _ = try make("mknod") { mknodat(parentFD, base, type | 0o600, dev) }
            if fchmodat(parentFD, base, mode_t(entry.mode), AT_SYMLINK_NOFOLLOW) != 0 {
                throw SystemError.current("chmod", path)
            }
        }
        // Symlinks, devices, FIFOs: owner and times without following.
        if fchownat(parentFD, base, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw SystemError.current("chown", path)
        }
        var times = [timespec(tv_sec: Int(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds)),
                     timespec(tv_sec: Int(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds))]
        if utimensat(parentFD, base, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw SystemError.current("utimensat", path) }
        created.insert(path)
    }

    private func applyWhiteout(_ name: String, base: String, parent: [String]) throws {
        let parentPath = parent.joined(separator: "/")
        if base == ".wh..wh..opq" {
            guard applyWhiteouts, let dir = try openParent(parent[...], create: false) else { return }
            defer { closeParent(dir) }
            let fd = dir.fd
            // Opaque: hide everything below that this layer did not add.
            for child in StateFS.listChildren(fd) {
                let childPath = parentPath.isEmpty ? child : "\(parentPath)/\(child)"
                if created.contains(childPath) { continue }
                try removeChild(fd, child, isDirectory: StateFS.statIsDir(fd, child), path: childPath)
            }
            return
        }
        if base.hasPrefix(".wh..wh.") { return }  // other AUFS metadata (.wh..wh.plnk): ignored, as Docker does
        let target = String(base.dropFirst(4))
        if target.isEmpty || target == "." || target == ".." {
            throw unsafe(name, "whiteout does not name a file in its directory")
        }
        guard applyWhiteouts else { return }
        let targetPath = parentPath.isEmpty ? target : "\(parentPath)/\(target)"
        if created.contains(targetPath) { return }
        guard let dir = try openParent(parent[...], create: false) else { return }
        defer { closeParent(dir) }
        let fd = dir.fd
        var st = stat()
        guard fstatat(fd, target, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        try removeChild(fd, target, isDirectory: st.st_mode & S_IFMT == S_IFDIR, path: targetPath)
    }

    private func removeChild(_ parentFD: Int32, _ name: String, isDirectory: Bool, path: String) throws {
        // A removed directory or symlink may be on the cached path; the
        // cached fd stays open (the caller may be using it) but is not reused.
        cacheStale = true
        if isDirectory {
            let fd = retryEINTR { openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { throw SystemError.current("open", path) }
            defer { close(fd) }
            try StateFS.removeContents(of: fd, path: path)
            if unlinkat(parentFD, name, AT_REMOVEDIR) != 0 { throw SystemError.current("rmdir", path) }
        } else if unlinkat(parentFD, name, 0) != 0 {
            throw SystemError.current("unlink", path)
        }
        // Anything this layer had created below is gone too.
        created = created.filter { $0 != path && !$0.hasPrefix(path + "/") }
    }

    private func setXattrs(_ fd: Int32, _ entry: TarEntry, _ path: String) throws {
        for (key, value) in entry.xattrs.sorted(by: { $0.key < $1.key }) {
            // overlayfs' own attributes would change how the snapshot stack is read.
            if key.hasPrefix("trusted.overlay.") { continue }
            let r = value.withUnsafeBytes { fsetxattr(fd, key, $0.baseAddress, $0.count, 0) }
            if r != 0 && errno != ENOTSUP { throw SystemError.current("setxattr \(key)", path) }
        }
    }

    /// A directory fd from `openParent`: borrowed (the root or the cache) or owned.
    struct ParentDir {
        let fd: Int32
        let owned: Bool
    }

    /// An fd for the directory `components` resolved inside the root
    /// (RESOLVE_IN_ROOT), creating missing directories when `create`.
    /// Returns nil when it does not exist and `create` is false. The most
    /// recent lookup is cached (entries come grouped by directory); pass
    /// the result to `closeParent`.
    private func openParent(_ components: ArraySlice<String>, create: Bool, cache: Bool = true) throws -> ParentDir? {
        if components.isEmpty { return ParentDir(fd: rootFD, owned: false) }
        let path = components.joined(separator: "/")
        if cache, !cacheStale, let cached = cachedParent, cached.path == path {
            return ParentDir(fd: cached.fd, owned: false)
        }
        let resolve = berth_resolve_in_root() | berth_resolve_no_magiclinks()
        var fd = berth_openat2(rootFD, path, UInt64(berth_o_path() | O_DIRECTORY | O_CLOEXEC), 0, resolve)
        if fd < 0 && errno == ENOENT && create {
            guard let parent = try openParent(components.dropLast(), create: true, cache: false) else { return nil }
            let name = components.last ?? ""
            let r = mkdirat(parent.fd, name, 0o755)
            let mkdirErrno = errno
            closeParent(parent)
            if r != 0 && mkdirErrno != EEXIST {
                throw SystemError("mkdir", path, errno: mkdirErrno)
            }
            created.insert(path)
            fd = berth_openat2(rootFD, path, UInt64(berth_o_path() | O_DIRECTORY | O_CLOEXEC), 0, resolve)
            if fd < 0 && errno == ENOENT {
                throw unsafe(path, "a symbolic link in the path points to a missing directory")
            }
        }
        if fd < 0 {
            if errno == ENOENT && !create { return nil }
            if errno == ENOTDIR { throw unsafe(path, "a parent in the path is not a directory") }
            throw SystemError.current("openat2 (RESOLVE_IN_ROOT)", path)
        }
        guard cache else { return ParentDir(fd: fd, owned: true) }
        dropCache()
        cachedParent = (path, fd)
        cacheStale = false
        return ParentDir(fd: fd, owned: false)
    }

    private func closeParent(_ dir: ParentDir?) {
        if let dir, dir.owned { close(dir.fd) }
    }

    private func dropCache() {
        if let c = cachedParent { close(c.fd) }
        cachedParent = nil
    }

    private var cacheStale = false
}

extension StateFS {
    static func statIsDir(_ dirFD: Int32, _ name: String) -> Bool {
        var st = stat()
        return fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Names in the directory `fd` (an berth_o_path() fd is reopened for reading).
    static func listChildren(_ fd: Int32) -> [String] {
        let r = retryEINTR { openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard r >= 0, let d = fdopendir(r) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
