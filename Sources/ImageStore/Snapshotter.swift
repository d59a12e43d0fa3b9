import CUnpack
import Diagnostics
import OCI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Unpacked layers, one directory per chain ID, shared by every image and
/// container that uses that layer stack:
///
///     <root>/snapshots/<chain-id-hex>/fs             the layer's own files (an overlay upper dir)
///     <root>/snapshots/<chain-id-hex>/snapshot.json  chain ID, diff ID, parent, size
///     <root>/snapshots/l/<16 hex>  ->  ../<chain-id-hex>/fs   short names for mount options
///
/// A snapshot is built in `tmp-<random>` and renamed into place when
/// complete, so a snapshot directory that exists is whole. Layer N is
/// unpacked through an overlay mount whose lower dirs are snapshots 0..N-1,
/// so the kernel turns deletions into whiteouts in the new upper dir.
struct Snapshotter: Sendable {
    let directory: String

    var linkDirectory: String { "\(directory)/l" }

    func path(_ chainID: Digest) -> String { "\(directory)/\(chainID.encoded)/fs" }

    func exists(_ chainID: Digest) -> Bool { StateFS.exists("\(directory)/\(chainID.encoded)/snapshot.json") }

    /// The short link name used in mount options.
    static func shortName(_ chainID: Digest) -> String { String(chainID.encoded.prefix(16)) }

    func list() -> [Digest] {
        StateFS.list(directory).compactMap { try? Digest(sha256Hex: $0) }
    }

    func metadata(_ chainID: Digest) -> SnapshotInfo? {
        guard let bytes = try? StateFS.read("\(directory)/\(chainID.encoded)/snapshot.json") else { return nil }
        return try? decodeJSON(SnapshotInfo.self, bytes)
    }

    /// Builds the snapshot `chainID` on top of `parents` (lowest first) by
    /// running `body` on a directory fd (berth_o_path()) of its root; `body` gets
    /// `true` when that root is an overlay merged view over the parents.
    /// Returns false if another process finished the same snapshot first.
    @discardableResult
    func create(_ chainID: Digest, diffID: Digest, parents: [Digest],
                _ body: (_ rootFD: Int32, _ overParents: Bool) throws -> Int64) throws -> Bool {
        try StateFS.makeDirectories(linkDirectory)
        let temp = "\(directory)/tmp-\(randomHex(8))"
        let fs = "\(temp)/fs"
        do {
            try StateFS.makeDirectories(fs)
            var size: Int64 = 0
            if parents.isEmpty {
                let root = try StoreFile.open(fs, berth_o_path() | O_DIRECTORY)
                size = try body(root.fd, false)
                try Snapshotter.sync(fs)
            } else {
                for p in parents where !exists(p) {
                    throw ImageStoreError.corruptLayer(p, "parent snapshot is missing")
                }
                let work = "\(temp)/work", merged = "\(temp)/merged"
                try StateFS.makeDirectories(work)
                try StateFS.makeDirectories(merged)
                let (dir, options) = OverlayOptions.make(
                    lowerDirs: parents.reversed().map { path($0) }, upper: fs, work: work, snapshots: directory)
                try OverlayOptions.mount(target: merged, directory: dir, options: options)
                do {
                    let root = try StoreFile.open(merged, berth_o_path() | O_DIRECTORY)
                    size = try body(root.fd, true)
                    try Snapshotter.sync(merged)
                } catch {
                    _ = umount2(merged, Int32(MNT_DETACH))
                    throw error
                }
                if umount2(merged, 0) != 0 {
                    let e = errno
                    if umount2(merged, Int32(MNT_DETACH)) != 0 { throw SystemError("umount", merged, errno: e) }
                }
                try StateFS.removeTree(work)
                try StateFS.removeTree(merged)
            }
            let info = SnapshotInfo(chainID: chainID, diffID: diffID, parent: parents.last, size: size)
            try StateFS.writeAtomically("\(temp)/snapshot.json", encodeJSON(info))
            if rename(temp, "\(directory)/\(chainID.encoded)") != 0 {
                if errno == EEXIST || errno == ENOTEMPTY {
                    try StateFS.removeTree(temp)
                    try link(chainID)
                    return false
                }
                throw SystemError.current("rename", "\(temp) to \(chainID.encoded)")
            }
            try StateFS.syncDirectory(directory)
            try link(chainID)
            return true
        } catch {
            try? StateFS.removeTree(temp)
            throw error
        }
    }

    /// One syncfs for the whole unpacked tree instead of an fsync per file.
    static func sync(_ dir: String) throws {
        let d = try StoreFile.open(dir, O_RDONLY | O_DIRECTORY)
        if berth_syncfs(d.fd) != 0 { throw SystemError.current("syncfs", dir) }
    }

    private func link(_ chainID: Digest) throws {
        let name = "\(linkDirectory)/\(Snapshotter.shortName(chainID))"
        let target = "../\(chainID.encoded)/fs"
        if symlink(target, name) != 0 {
            guard errno == EEXIST else { throw SystemError.current("symlink", name) }
            var buf = [CChar](repeating: 0, count: 256)
            let n = readlink(name, &buf, 255)
            let existing = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            if existing != target { throw SystemError("symlink (short name collision)", name, errno: EEXIST) }
        }
    }

    func remove(_ chainID: Digest) throws {
        unlink("\(linkDirectory)/\(Snapshotter.shortName(chainID))")
        try StateFS.removeTree("\(directory)/\(chainID.encoded)")
    }

    /// Leftovers of interrupted unpacks; call only with the GC lock held exclusively.
    func removeLeftovers() throws {
        for name in StateFS.list(directory) where name.hasPrefix("tmp-") {
            let merged = "\(directory)/\(name)/merged"
            if StateFS.exists(merged) { _ = umount2(merged, Int32(MNT_DETACH)) }
            try StateFS.removeTree("\(directory)/\(name)")
        }
        for name in StateFS.list(linkDirectory) {
            var st = stat()
            if stat("\(linkDirectory)/\(name)", &st) != 0 { unlink("\(linkDirectory)/\(name)") }
        }
    }
}

/// `snapshot.json`.
struct SnapshotInfo: Codable, Sendable {
    var chainID: Digest
    var diffID: Digest
    var parent: Digest?
    var size: Int64
}

/// Overlay mount options that stay under the kernel's one-page limit for
/// deep images: snapshot lower dirs are named by 16-hex short links
/// (`l/0123456789abcdef`, 19 bytes each) relative to the snapshots
/// directory, and the mount is made with that directory as the working
/// directory. Other paths are passed as given.
public enum OverlayOptions {
    /// The mount(2) data limit (one page).
    public static let limit = 4095

    /// Options for `mount -t overlay`; mount with `directory` as the cwd
    /// (relative lowerdir entries are resolved against it).
    public static func make(lowerDirs: [String], upper: String, work: String, snapshots: String) -> (directory: String, options: String) {
        let prefix = snapshots + "/"
        let lowers = lowerDirs.map { dir -> String in
            guard dir.hasPrefix(prefix), dir.hasSuffix("/fs") else { return escape(dir) }
            let hex = dir.dropFirst(prefix.count).dropLast(3)
            guard hex.count == 64, !hex.contains("/") else { return escape(dir) }
            return "l/" + hex.prefix(16)
        }
        return (snapshots, "lowerdir=\(lowers.joined(separator: ":")),upperdir=\(escape(upper)),workdir=\(escape(work))")
    }

    /// `:` and `,` separate overlay options and lower dirs; escape them.
    static func escape(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "\\" || c == ":" || c == "," { out.append("\\") }
            out.append(c)
        }
        return out
    }

    private static let cwdLock = Mutex(())

    /// Mounts overlayfs on `target`. The working directory is switched to
    /// `directory` for the mount(2) call only (process-wide, so serialized).
    public static func mount(target: String, directory: String, options: String) throws {
        if options.utf8.count > limit {
            throw SystemError("mount overlay (options are \(options.utf8.count) bytes, over one page)", target, errno: E2BIG)
        }
        try cwdLock.withLock { _ in
            let saved = Glibc.open(".", berth_o_path() | O_DIRECTORY | O_CLOEXEC)
            if saved < 0 { throw SystemError.current("open", "current directory") }
            defer {
                _ = fchdir(saved)
                close(saved)
            }
            if chdir(directory) != 0 { throw SystemError.current("chdir", directory) }
            if Glibc.mount("overlay", target, "overlay", 0, options) != 0 {
                throw SystemError.current("mount overlay", target)
            }
        }
    }
}
