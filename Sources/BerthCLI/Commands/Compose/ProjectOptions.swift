import ArgumentParser
import Compose
import Diagnostics
import YAML
#if canImport(Glibc)
import Glibc
#endif

/// The flags that say which compose project a command works on, shared by
/// every Compose command (`@OptionGroup var project: ProjectOptions`).
struct ProjectOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")],
            help: ArgumentHelp("Compose configuration files (repeatable; - reads standard input).", valueName: "file"))
    var files: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.")
    var projectName: String?

    @Option(name: .customLong("project-directory"),
            help: ArgumentHelp("Alternate working directory (default: the directory of the first Compose file).",
                               valueName: "dir"))
    var projectDirectory: String?

    @Option(name: .customLong("profile"), help: ArgumentHelp("Enable a profile (repeatable).", valueName: "name"))
    var profiles: [String] = []

    @Option(name: .customLong("env-file"),
            help: ArgumentHelp("An alternate environment file (repeatable; replaces .env).", valueName: "file"))
    var envFiles: [String] = []

    @Option(name: .customLong("ansi"), help: ArgumentHelp("Control when to print ANSI control characters (never|always|auto).", valueName: "when"))
    var ansi: String?

    @Option(name: .customLong("progress"), help: ArgumentHelp("Set type of progress output (auto|tty|plain|quiet|json).", valueName: "type"))
    var progress: String?

    init() {}

    /// These flags as given to a command that declares them itself.
    init(files: [String], projectName: String?, projectDirectory: String?, profiles: [String], envFiles: [String]) {
        self.files = files
        self.projectName = projectName
        self.projectDirectory = projectDirectory
        self.profiles = profiles
        self.envFiles = envFiles
    }

    func validate() throws {
        try OutputMode.apply(ansi: ansi, progress: progress)
    }

    /// The loader's options for these flags, the process environment and
    /// the current directory; reads standard input when a file is `-`.
    func loadOptions(services: [String] = [], interpolate: Bool = true) throws -> LoadOptions {
        var options = LoadOptions(files: files, workingDirectory: try currentDirectory(),
                                  projectDirectory: projectDirectory, projectName: projectName,
                                  envFiles: envFiles, profiles: profiles, services: services,
                                  interpolate: interpolate, environment: processEnvironment())
        if files.contains("-") { options.stdinText = try readStandardInput() }
        return options
    }

    /// Loads the project and prints its warnings to stderr.
    func load(services: [String] = [], interpolate: Bool = true) throws -> LoadedProject {
        let loaded = try ComposeLoader.load(try loadOptions(services: services, interpolate: interpolate))
        ErrorRendering.renderWarnings(loaded.warnings)
        return loaded
    }

    /// `ComposeLoader.loadTree` (no `Project` model, `alongside` run on
    /// the final tree), printing its warnings to stderr.
    func loadTree<Extra>(services: [String] = [], interpolate: Bool = true,
                         alongside: (Node) -> Extra) throws -> (tree: LoadedTree, extra: Extra) {
        let loaded = try ComposeLoader.loadTree(try loadOptions(services: services, interpolate: interpolate),
                                                alongside: alongside)
        ErrorRendering.renderWarnings(loaded.tree.warnings)
        return loaded
    }
}

/// The current working directory.
func currentDirectory() throws -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { throw SystemError.current("getcwd") }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// All of standard input as UTF-8 text.
func readStandardInput() throws -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw SystemError.current("read", "standard input")
        }
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
