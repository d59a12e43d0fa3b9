import Diagnostics

/// Which compose files make up a project and what the project is called,
/// the way `docker compose` decides it.
public enum Discovery {
    /// Names looked for in the working directory and then each parent, in
    /// order of preference.
    public static let fileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    /// The override file for `file` (same directory, `.override` before the
    /// extension), falling back to the other supported override names.
    static func overrideCandidates(for file: String) -> [String] {
        let dir = PathRules.directory(of: file)
        let name = PathRules.base(of: file)
        var names: [String] = []
        if let dot = name.lastIndex(of: ".") {
            names.append(String(name[..<dot]) + ".override" + String(name[dot...]))
        }
        for candidate in fileNames {
            let dot = candidate.lastIndex(of: ".") ?? candidate.endIndex
            let o = String(candidate[..<dot]) + ".override" + String(candidate[dot...])
            if !names.contains(o) { names.append(o) }
        }
        return names.map { PathRules.join(dir, $0) }
    }

    /// Finds the default compose file (and its override) starting at
    /// `directory` and walking up to `/`. Warns when several supported
    /// names exist in the same directory.
    public static func findDefaultFiles(from directory: String, fileSystem: FileSystem)
        -> (files: [String], warnings: [Diagnostic]) {
        var dir = PathRules.clean(directory)
        while true {
            let found = fileNames.map { PathRules.join(dir, $0) }.filter {
                fileSystem.exists($0) && !fileSystem.isDirectory($0)
            }
            if let first = found.first {
                var warnings: [Diagnostic] = []
                if found.count > 1 {
                    warnings.append(Diagnostic(.warning, at: nil,
                        "Found multiple config files with supported names: \(found.joined(separator: ", ")); using \(first)"))
                }
                var files = [first]
                if let o = overrideCandidates(for: first).first(where: {
                    fileSystem.exists($0) && !fileSystem.isDirectory($0)
                }) {
                    files.append(o)
                }
                return (files, warnings)
            }
            if dir == "/" { return ([], []) }
            dir = PathRules.directory(of: dir)
        }
    }

    // MARK: Project names

    /// Whether `name` is a valid project name: `[a-z0-9][a-z0-9_-]*`.
    public static func isValidProjectName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLowerAlnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "_" || $0 == "-" }
    }

    /// A directory name made into a project name: lowercased, characters
    /// outside `[a-z0-9_-]` dropped, leading `_`/`-` dropped.
    public static func normalizeProjectName(_ name: String) -> String {
        // One scalar at a time: building the view from a filtered sequence
        // goes through the runtime's generic paths (~0.1 ms on first use).
        var kept = String.UnicodeScalarView()
        for c in name.lowercased().unicodeScalars where isLowerAlnum(c) || (!kept.isEmpty && (c == "_" || c == "-")) {
            kept.append(c)
        }
        return String(kept)
    }

    static func isLowerAlnum(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("0"..."9").contains(c)
    }

    static let projectNameRule =
        "a project name must contain only lowercase letters, digits, \"_\" and \"-\", and start with a letter or digit"

    /// A diagnostic for an invalid explicit project name, or nil when valid.
    static func checkProjectName(_ name: String, source: String, mark: Mark?) -> Diagnostic? {
        if isValidProjectName(name) { return nil }
        let suggestion = normalizeProjectName(name)
        return Diagnostic(at: mark, keyPath: mark == nil ? "" : "name",
                          "invalid project name \"\(name)\" (from \(source)): \(projectNameRule)",
                          hint: suggestion.isEmpty || suggestion == name ? nil : "did you mean \"\(suggestion)\"?")
    }
}
