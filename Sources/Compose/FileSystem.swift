#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Diagnostics

/// The only way the Compose loader reads files. `LocalFileSystem` reads the
/// real disk; `InMemoryFileSystem` lets tests describe a tree of files
/// (compose files, `.env`, env_file, include, extends) without touching disk.
public protocol FileSystem: Sendable {
    /// The bytes of the regular file at `path`, or nil when nothing exists
    /// there. Throws `SystemError` for anything else (EACCES, EISDIR, …).
    func read(_ path: String) throws -> [UInt8]?
    /// Whether anything exists at `path`.
    func exists(_ path: String) -> Bool
    /// Whether `path` is a directory.
    func isDirectory(_ path: String) -> Bool
}

extension FileSystem {
    /// The text of the file at `path`, or nil when it does not exist.
    /// Invalid UTF-8 is a diagnostic at the line and column of the first bad byte.
    public func readText(_ path: String, displayName: String? = nil) throws -> String? {
        guard let bytes = try read(path) else { return nil }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Locate the first invalid byte for the error position.
        var line = 1, column = 1
        var decoder = UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        loop: while true {
            switch decoder.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if UTF8.decode(encoded) == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput, .error:
                break loop
            }
        }
        throw DiagnosticsError(Diagnostic(at: Mark(file: displayName ?? path, line: line, column: column),
                                          "invalid UTF-8"))
    }
}

/// Reads the machine's file system.
public struct LocalFileSystem: FileSystem {
    /// Anything but a regular file reads as absent, and opening never
    /// blocks: for a reader that must not consume a pipe (`-f <(…)`,
    /// `/dev/stdin`) or wait for its writer.
    public var regularFilesOnly: Bool

    public init(regularFilesOnly: Bool = false) {
        self.regularFilesOnly = regularFilesOnly
    }

    public func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (regularFilesOnly ? O_NONBLOCK : 0))
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw SystemError("open", path, errno: code)
        }
        defer { close(fd) }
        if regularFilesOnly {
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path, errno: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    public func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

/// A file tree held in memory, for tests. Directories are implied by the
/// files beneath them and may also be declared empty.
public struct InMemoryFileSystem: FileSystem {
    /// Absolute, clean paths → contents.
    public var files: [String: [UInt8]]
    /// Directories that exist even without files beneath them.
    public var directories: Set<String>

    /// `files` maps absolute paths to their text.
    public init(_ files: [String: String] = [:], directories: Set<String> = []) {
        self.files = files.mapValues { Array($0.utf8) }
        self.directories = directories
    }

    public func read(_ path: String) throws -> [UInt8]? {
        let p = PathRules.clean(path)
        if isDirectory(p) { throw SystemError("read", p, errno: EISDIR) }
        return files[p]
    }

    public func exists(_ path: String) -> Bool {
        let p = PathRules.clean(path)
        return files[p] != nil || isDirectory(p)
    }

    public func isDirectory(_ path: String) -> Bool {
        let p = PathRules.clean(path)
        if p == "/" || directories.contains(p) { return true }
        let prefix = p + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }
}
