import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// berth-managed volumes: `<root>/volumes/<name>/_data`. A new volume
/// mounted over a path the image has content at is first filled with that
/// content, as Docker does.
public struct NamedVolumes: Sendable {
    public let paths: StatePaths

    public init(paths: StatePaths) { self.paths = paths }

    public var directory: String { "\(paths.root)/volumes" }
    public func dataPath(_ name: String) -> String { "\(directory)/\(name)/_data" }

    /// Anonymous volumes are named by 64 hex digits, as Docker's are.
    public static func isAnonymous(_ name: String) -> Bool {
        name.count == 64 && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Docker's volume name rule.
    public static func isValidName(_ name: String) -> Bool { ContainerStore.isValidName(name) }

    /// The volume's data directory, created if missing. When created now
    /// (or still empty and never populated), it is filled from `seed` (the
    /// image's content at the mount destination) if that exists.
    public func prepare(_ name: String, seed: String?) throws -> String {
        let data = dataPath(name)
        let marker = "\(directory)/\(name)/.populated"
        try StateFile.makeDirectories(data)
        if !StateFile.exists(marker) {
            if let seed, StateFile.isDirectory(seed), StateFile.list(data).isEmpty {
                try TreeCopy.copyContents(of: seed, into: data)
            }
            try StateFile.writeAtomically(marker, text: "")
        }
        return data
    }

    public func remove(_ name: String) throws {
        try StateFile.removeTree("\(directory)/\(name)")
    }
}

/// Copies a directory tree preserving modes, owners, symlinks and times
/// of regular files; never follows symlinks in the source.
public enum TreeCopy {
    public static func copyContents(of source: String, into destination: String) throws {
        for name in StateFile.list(source) {
            try copy("\(source)/\(name)", to: "\(destination)/\(name)")
        }
    }

    static func copy(_ src: String, to dst: String) throws {
        var st = stat()
        if lstat(src, &st) != 0 { throw SystemError.current("lstat", src) }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            if mkdir(dst, st.st_mode & 0o7777) != 0 && errno != EEXIST { throw SystemError.current("mkdir", dst) }
            try copyContents(of: src, into: dst)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(src, &buf, buf.count - 1)
            if n < 0 { throw SystemError.current("readlink", src) }
            let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if symlink(target, dst) != 0 { throw SystemError.current("symlink", dst) }
        case S_IFREG:
            let input = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if input < 0 { throw SystemError.current("open", src) }
            defer { close(input) }
            let output = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0o7777)
            if output < 0 { throw SystemError.current("create", dst) }
            defer { close(output) }
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(input, &buf, buf.count)
                if n < 0 { if errno == EINTR { continue }; throw SystemError.current("read", src) }
                if n == 0 { break }
                try StateFile.writeAll(fd: output, Array(buf[0..<n]), path: dst)
            }
        default:
            return  // devices, fifos and sockets are not copied into volumes
        }
        _ = lchown(dst, st.st_uid, st.st_gid)
        if (st.st_mode & S_IFMT) != S_IFLNK { _ = chmod(dst, st.st_mode & 0o7777) }
    }
}
