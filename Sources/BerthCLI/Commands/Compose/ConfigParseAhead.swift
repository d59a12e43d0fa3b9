import Compose
#if canImport(Glibc)
import Glibc
#endif

/// `berth config` reads, parses and interpolates its compose files on a
/// second thread while the command line is parsed and the loader starts
/// (see `ParseAhead`: the loader uses that work only for the very files,
/// bytes and environment it reads itself, so this scan of the arguments is
/// a guess that can be wrong without harm; when the thread has not begun
/// by the time the loader asks, the loader's thread does the work itself).
enum ConfigParseAhead {
    /// Set on the main thread before parsing; read by `ProjectOptions`.
    nonisolated(unsafe) static var current: ParseAhead?

    /// Starts the parse when `arguments` run `config` (or `compose config`)
    /// without reading standard input.
    static func start(_ arguments: [String]) {
        var args = GlobalOptions.hoist(arguments)[...]
        if args.first == "compose" { args = args.dropFirst() }
        guard args.first == "config" else { return }
        // Before the thread starts, so that it allocates from that heap.
        LargeHeap.prepare()
        var files: [String] = []
        var i = args.index(after: args.startIndex)
        while i < args.endIndex {
            let arg = args[i]
            if arg == "--" { break }
            if arg == "-f" || arg == "--file", i + 1 < args.endIndex {
                files.append(args[i + 1])
                i += 2
                continue
            }
            if arg.hasPrefix("--file=") { files.append(String(arg.dropFirst("--file=".count))) }
            i += 1
        }
        guard !files.contains("-"), let directory = try? currentDirectory() else { return }
        // `~` as `LoadOptions` resolves it from the process environment.
        let home = getenv("HOME").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        current = ParseAhead(files: files, workingDirectory: directory, home: home,
                             environment: processEnvironment(), interpolate: !args.contains("--no-interpolate"),
                             fileSystem: LocalFileSystem(regularFilesOnly: true))
    }

    /// Waits for the parsing thread (before the process exits).
    static func finish() {
        current?.finish()
    }
}
