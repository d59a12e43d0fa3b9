import ArgumentParser
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// `--root`, shared by every command that touches berth's state.
/// Include as `@OptionGroup var state: StateOptions`.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Persistent state directory (default: $BERTH_ROOT or /var/lib/berth).", valueName: "dir"))
    var root: String?

    /// The resolved state directories.
    var paths: StatePaths {
        StatePaths.resolve(root: root, environment: processEnvironment())
    }
}

/// The process environment as a dictionary (no Foundation needed).
func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let eq = text.firstIndex(of: "=") {
            result[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        pointer += 1
    }
    return result
}

/// Fails with Docker's wording when a command needs root and we are not.
func requireRoot(_ what: String) throws {
    if geteuid() != 0 {
        throw UserError("\(what) needs root: berth's runtime uses namespaces, mounts, cgroups and nftables (run it with sudo)")
    }
}
