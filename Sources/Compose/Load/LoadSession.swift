import Diagnostics
import YAML

/// The state of one load: where files are read from, how paths are shown,
/// every diagnostic found so far, and the files already prepared (so a file
/// named by several `extends` is read once per environment).
final class LoadSession {
    let fileSystem: FileSystem
    let home: String
    let workingDirectory: String
    let interpolate: Bool
    let stdinText: String?
    var diagnostics: [Diagnostic] = []
    /// Every compose file read, in order, as absolute paths (`-` for stdin).
    var filesRead: [String] = []
    /// Cycles already reported (by their members), so each is reported once.
    var reportedCycles: Set<[String]> = []
    /// Errors that only matter when the service ends up in the project
    /// (a missing `env_file` of a service left out by profiles or selection).
    var serviceErrors: [String: [Diagnostic]] = [:]

    private struct CacheKey: Hashable {
        var path: String
        var base: String
        var environment: [String: String]
    }
    private var prepared: [CacheKey: Node?] = [:]
    /// Trees a later phase replaced (the parsed file once interpolated…),
    /// kept as long as the load's result: see `LoadedTree.superseded`.
    var superseded: [Node] = []
    /// Whether any file parsed so far had a node with an explicit tag:
    /// until one has, no tree of the load holds a `!reset` or `!override`.
    var sawTags = false

    /// The path used for standard input (`-f -`).
    static let stdinPath = "-"

    init(fileSystem: FileSystem, home: String, workingDirectory: String, interpolate: Bool, stdinText: String?) {
        self.fileSystem = fileSystem
        self.home = home
        self.workingDirectory = workingDirectory
        self.interpolate = interpolate
        self.stdinText = stdinText
    }

    /// Set when a structural step failed (a file missing or unparsable, an
    /// `extends` or `include` that could not be applied): the model is then
    /// missing parts, so validating it would report misleading errors.
    /// Interpolation and env-file errors leave the structure intact.
    var incomplete = false

    /// Records a structural error (see `incomplete`).
    func error(_ mark: Mark?, _ keyPath: NodePath = .root, _ message: String, hint: String? = nil) {
        incomplete = true
        diagnostics.append(Diagnostic(.error, at: mark, keyPath: keyPath.description, message, hint: hint))
    }

    func warning(_ mark: Mark?, _ keyPath: NodePath = .root, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: mark, keyPath: keyPath.description, message))
    }

    var hasErrors: Bool { diagnostics.hasErrors }

    /// How a file is named in diagnostics: relative to the working
    /// directory when it lies beneath it.
    func display(_ path: String) -> String {
        path == LoadSession.stdinPath ? "<stdin>" : PathRules.display(path, relativeTo: workingDirectory)
    }

    /// Reads and parses one compose file into its top-level mapping.
    func parse(_ path: String, referencedAt mark: Mark? = nil, keyPath: NodePath = .root) -> Node? {
        let name = display(path)
        let bytes: [UInt8]
        do {
            if path == LoadSession.stdinPath {
                bytes = Array((stdinText ?? "").utf8)
            } else {
                guard let b = try fileSystem.read(path) else {
                    error(mark, keyPath, "compose file \(name) not found")
                    return nil
                }
                bytes = b
            }
        } catch let e as DiagnosticsError {
            diagnostics += e.diagnostics
            incomplete = true
            return nil
        } catch {
            self.error(mark, keyPath, "cannot read compose file \(name): \(error)")
            return nil
        }
        if !filesRead.contains(path) { filesRead.append(path) }
        let node: Node
        do {
            let loaded = try YAMLLoader.loadNotingTags(bytes: bytes, file: name)
            node = loaded.node
            if loaded.tagged { sawTags = true }
        } catch let e as DiagnosticsError {
            diagnostics += e.diagnostics
            incomplete = true
            return nil
        } catch {
            self.error(Mark(file: name, line: 1, column: 1), .root, "\(error)")
            return nil
        }
        if node.isNull { return Node.mapping([Node.Pair](), mark: node.mark) }
        guard node.isMapping else {
            error(node.mark, .root, "a compose file must be a mapping at the top level")
            return nil
        }
        return node
    }

    /// A compose file parsed, interpolated with `environment` and with its
    /// relative paths resolved against `base`. Cached per (path, base, environment).
    func prepare(_ path: String, base: String, environment: [String: String],
                 referencedAt mark: Mark? = nil, keyPath: NodePath = .root) -> Node? {
        let key = CacheKey(path: path, base: base, environment: environment)
        if let cached = prepared[key] { return cached }
        var result: Node?
        if var node = parse(path, referencedAt: mark, keyPath: keyPath) {
            if interpolate {
                let (interpolated, found) = Interpolation.applyToDocument(node) { environment[$0] }
                superseded.append(node)
                node = interpolated
                diagnostics += found
            }
            superseded.append(node)
            result = PathResolution.resolve(node, base: base, home: home)
        }
        prepared[key] = result
        return result
    }

    /// Variables from env files read in order (later ones win), each able
    /// to use the variables of `lookupFirst` and of the files before it.
    /// A missing required file is an error at `mark`.
    func readEnvironmentFiles(_ files: [(path: String, required: Bool, mark: Mark?, keyPath: NodePath)],
                              lookupFirst: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for file in files {
            let name = display(file.path)
            let text: String
            do {
                guard let t = try fileSystem.readText(file.path, displayName: name) else {
                    if file.required { error(file.mark, file.keyPath, "env file \(name) not found") }
                    continue
                }
                text = t
            } catch let e as DiagnosticsError {
                diagnostics += e.diagnostics
                continue
            } catch {
                self.error(file.mark, file.keyPath, "cannot read env file \(name): \(error)")
                continue
            }
            do {
                let entries = try DotEnv.parse(text, file: name, interpolate: interpolate,
                                               lookup: { lookupFirst[$0] }, fallback: { result[$0] })
                for e in entries { result[e.key] = e.value }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        return result
    }
}
