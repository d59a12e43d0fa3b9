import Diagnostics
import YAML

/// Compose files read, parsed, interpolated and with their relative paths
/// resolved on a second thread before the loader asks for them: `berth
/// config` starts this from its command line before parsing it (when the
/// thread has not begun by the time the loader asks, the asking thread
/// does the work itself). Everything here is a guess (the `-f` values, else the
/// default files of the working directory; the environment of the default
/// `.env` and the process): the loader takes a parse only for the same
/// path, the same name in marks and the same bytes it read itself, and the
/// prepared tree only for the same parse, base directory, home,
/// interpolation switch and environment, so a wrong or stale guess costs
/// nothing but the other core's time, never a different result.
public final class ParseAhead: Sendable {
    private struct Parsed: Sendable {
        var path: String
        var name: String
        var bytes: [UInt8]
        var result: Result<Node, any Error>
        var prepared: Prepared?
    }

    /// What `LoadSession.prepare` makes of a parse.
    struct Prepared: Sendable {
        var source: Node
        var base: String
        var home: String
        var interpolate: Bool
        var environment: [String: String]
        var node: Node
        var found: [Diagnostic]
    }

    private let pending: Concurrently.Pending<[Parsed]>

    /// Starts on `files` (as `-f` gives them; empty: the default files
    /// found from `workingDirectory`), paths resolved and named, and the
    /// project environment made from `environment` (the process's), the
    /// way `ComposeLoader` does for options without `--project-directory`
    /// or `--env-file`.
    public init(files: [String], workingDirectory: String, home: String, environment: [String: String],
                interpolate: Bool, fileSystem: FileSystem) {
        pending = Concurrently.start {
            let directory = PathRules.clean(workingDirectory)
            let paths = files.isEmpty
                ? Discovery.findDefaultFiles(from: directory, fileSystem: fileSystem).0
                : files.map { PathRules.resolve($0, against: directory, home: home) }
            var parsed: [Parsed] = paths.compactMap { path in
                guard let bytes = try? fileSystem.read(path) else { return nil }
                let name = PathRules.display(path, relativeTo: directory)
                return Parsed(path: path, name: name, bytes: bytes,
                              result: Result { try YAMLLoader.load(bytes: bytes, file: name) })
            }
            guard let first = paths.first else { return parsed }
            let options = LoadOptions(files: files, workingDirectory: workingDirectory, interpolate: interpolate,
                                      environment: environment, homeDirectory: home)
            let session = LoadSession(fileSystem: fileSystem, home: home, workingDirectory: directory,
                                      interpolate: interpolate, stdinText: nil)
            let projectEnvironment = ComposeLoader.projectEnvironment(
                options, workingDirectory: directory, projectDirectory: PathRules.directory(of: first),
                session: session)
            for i in parsed.indices {
                // As `LoadSession.parse` then `prepare` would go on.
                guard case let .success(source) = parsed[i].result, source.isMapping else { continue }
                let base = PathRules.directory(of: parsed[i].path)
                var node = source
                var found: [Diagnostic] = []
                if interpolate {
                    (node, found) = Interpolation.apply(to: node) { projectEnvironment[$0] }
                }
                parsed[i].prepared = Prepared(source: source, base: base, home: home, interpolate: interpolate,
                                              environment: projectEnvironment,
                                              node: PathResolution.resolve(node, base: base, home: home),
                                              found: found)
            }
            return parsed
        }
    }

    /// Waits for the thread, or keeps it from beginning when it has not
    /// yet; afterwards it is gone. Call it before dropping this value.
    public func finish() {
        pending.cancelOrWait()
    }

    /// The parse of `bytes` named `name`, when it was made ahead for `path`.
    func take(path: String, name: String, bytes: [UInt8]) -> Result<Node, any Error>? {
        pending.waitOrRun().first { $0.path == path && $0.name == name && $0.bytes == bytes }?.result
    }

    /// What `prepare` makes of `source` (a tree `take` gave for `path`)
    /// with these settings, when it was made ahead with the same ones.
    func prepared(from source: Node, path: String, base: String, home: String, interpolate: Bool,
                  environment: [String: String]) -> Prepared? {
        guard let p = pending.waitOrRun().first(where: { $0.path == path })?.prepared,
              p.base == base, p.home == home, p.interpolate == interpolate, p.source == source,
              p.environment == environment else { return nil }
        return p
    }
}
