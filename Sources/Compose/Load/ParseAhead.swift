import Diagnostics
import YAML

/// Compose files read and parsed on a second thread before the loader asks
/// for them: `berth config` starts this from its command line while
/// ArgumentParser is still parsing it. The files are a guess (the `-f`
/// values, else the default files of the working directory); the loader
/// takes a parse only for the same path, the same name in marks and the
/// same bytes as it read itself, so a wrong or stale guess costs nothing
/// but the other core's time, never a different result.
public final class ParseAhead: Sendable {
    private struct Parsed: Sendable {
        var path: String
        var name: String
        var bytes: [UInt8]
        var result: Result<Node, any Error>
    }

    private let pending: Concurrently.Pending<[Parsed]>

    /// Starts reading and parsing `files` (as `-f` gives them; empty: the
    /// default files found from `workingDirectory`), paths resolved and
    /// named the way `ComposeLoader` does for the same options.
    public init(files: [String], workingDirectory: String, home: String, fileSystem: FileSystem) {
        pending = Concurrently.start {
            let directory = PathRules.clean(workingDirectory)
            let paths = files.isEmpty
                ? Discovery.findDefaultFiles(from: directory, fileSystem: fileSystem).0
                : files.map { PathRules.resolve($0, against: directory, home: home) }
            return paths.compactMap { path in
                guard let bytes = try? fileSystem.read(path) else { return nil }
                let name = PathRules.display(path, relativeTo: directory)
                return Parsed(path: path, name: name, bytes: bytes,
                              result: Result { try YAMLLoader.load(bytes: bytes, file: name) })
            }
        }
    }

    /// Waits for the parses; afterwards the thread is gone. Call it before
    /// dropping this value (`take` does).
    public func finish() {
        _ = pending.wait()
    }

    /// The parse of `bytes` named `name`, when it was made ahead for `path`.
    func take(path: String, name: String, bytes: [UInt8]) -> Result<Node, any Error>? {
        pending.wait().first { $0.path == path && $0.name == name && $0.bytes == bytes }?.result
    }
}
