import Diagnostics
import YAML
@testable import Compose

/// Parses YAML for a test; a parse failure is a test bug, reported by throwing.
func yaml(_ text: String, file: String = "compose.yaml") throws -> Node {
    try YAMLLoader.load(text, file: file)
}

extension Node {
    /// A compact, order-preserving rendering for assertions:
    /// `{a: 1, b: [x, y]}`; tags are shown as a prefix.
    var flow: String {
        let prefix = tag.map { "\($0) " } ?? ""
        switch kind {
        case let .scalar(text, _): return prefix + text
        case let .sequence(items): return prefix + "[" + items.map(\.flow).joined(separator: ", ") + "]"
        case let .mapping(pairs):
            return prefix + "{" + pairs.map { "\($0.key.flow): \($0.value.flow)" }.joined(separator: ", ") + "}"
        }
    }
}

/// An in-memory project tree rooted at /p for loader tests.
func memoryFS(_ files: [String: String]) -> InMemoryFileSystem {
    InMemoryFileSystem(files)
}

func loadOptions(files: [String] = [], in directory: String = "/p", environment: [String: String] = [:],
                 configure: (inout LoadOptions) -> Void = { _ in }) -> LoadOptions {
    var o = LoadOptions(files: files, workingDirectory: directory, environment: environment, homeDirectory: "/home/u")
    configure(&o)
    return o
}

/// The loader's own phases (discovery, environment, interpolation, paths,
/// extends, merge, include, env_file) without validation and
/// normalization; throws the diagnostics when any is an error.
func assemble(_ options: LoadOptions, fileSystem: InMemoryFileSystem) throws -> ComposeLoader.AssembledModel {
    var a = try ComposeLoader.assemble(options, fileSystem: fileSystem)
    a.model = a.session.foldEnvironmentFiles(a.model, environment: a.environment)
    a.diagnostics = a.session.diagnostics
    a.serviceErrors = a.session.serviceErrors
    let all = a.diagnostics + a.serviceErrors.values.flatMap { $0 }
    if all.hasErrors || a.name == nil { throw DiagnosticsError(all) }
    return a
}

extension ComposeLoader.AssembledModel {
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    var allProfiles: [String] { ComposeLoader.profiles(in: model) }
}

/// The rendered errors of the loader's own phases (empty when there were none).
func loadErrors(_ options: LoadOptions, _ fs: InMemoryFileSystem) -> [String] {
    do {
        _ = try assemble(options, fileSystem: fs)
        return []
    } catch let e as DiagnosticsError {
        return e.diagnostics.filter { $0.severity == .error }.map(\.description)
    } catch {
        return ["unexpected error: \(error)"]
    }
}
