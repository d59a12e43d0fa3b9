import ArgumentParser
import Diagnostics
import ImageStore
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// `berth load [-i FILE]`: a `docker save` or OCI-layout archive.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive or STDIN.")

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Read from tar archive file, instead of STDIN.")
    var input: String?

    @Flag(name: .shortAndLong, help: "Suppress the load output.")
    var quiet = false

    func run() throws {
        try requireRoot("berth load")
        let fd = try openInput(input ?? "-")
        defer { if fd != 0 { close(fd) } }
        if fd == 0 && isatty(0) != 0 {
            throw UserError("requested load from stdin, but stdin is empty (use -i FILE)")
        }
        let store = ImageStore(paths: state.paths)
        let loaded = try storeCall { try store.load(fd: fd, name: input ?? "stdin") }
        if quiet { return }
        for image in loaded {
            if image.tags.isEmpty {
                print("Loaded image ID: \(image.configDigest)")
            }
            for t in image.tags {
                print("Loaded image: \((try? ImageReference.parse(t).familiarDescription) ?? t)")
            }
        }
    }
}

/// `berth save [-o FILE] IMAGE…`.
struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save one or more images to a tar archive (streamed to STDOUT by default).")

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.")
    var output: String?

    @Argument(help: "Images to save.")
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("\"save\" requires at least 1 argument") }
    }

    func run() throws {
        let store = ImageStore(paths: state.paths)
        guard let output, output != "-" else {
            if isatty(1) != 0 { throw UserError("cowardly refusing to save to a terminal. Use the -o flag or redirect") }
            try storeCall { try store.save(images, to: 1) }
            return
        }
        // temp + rename, so a failed save leaves no half archive behind.
        let dir = output.contains("/") ? String(output[..<(output.lastIndex(of: "/") ?? output.endIndex)]) : "."
        let temp = "\(dir.isEmpty ? "/" : dir)/.\(output.split(separator: "/").last ?? "save").tmp\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError.current("open", temp) }
        do {
            try storeCall { try store.save(images, to: fd) }
            if fsync(fd) != 0 { throw SystemError.current("fsync", temp) }
            close(fd)
            if rename(temp, output) != 0 { throw SystemError.current("rename", "\(temp) to \(output)") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
    }
}

/// `berth import FILE|- [REPOSITORY[:TAG]]`.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image.")

    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR).")
    var change: [String] = []

    @Option(name: .shortAndLong, help: "Set commit message for imported image.")
    var message: String?

    @Argument(help: "A root filesystem tarball (tar or tar.gz), or - for STDIN.")
    var file: String

    @Argument(help: "Name and tag for the image.")
    var reference: String?

    func run() throws {
        try requireRoot("berth import")
        let fd = try openInput(file)
        defer { if fd != 0 { close(fd) } }
        let store = ImageStore(paths: state.paths)
        let image = try storeCall {
            try store.importRootfs(fd: fd, source: file, reference: reference, changes: change, message: message)
        }
        print(image.configDigest)
    }
}

/// `berth tag SOURCE TARGET`.
struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")

    @OptionGroup var state: StateOptions

    @Argument var source: String
    @Argument var target: String

    func run() throws {
        let store = ImageStore(paths: state.paths)
        try storeCall { try store.tag(source, target) }
    }
}

/// `berth rmi [-f] IMAGE…`.
struct RmiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images.")

    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Force removal of the image (untag it even if a container uses it).")
    var force = false

    @Argument(help: "Images to remove.")
    var images: [String]

    func run() throws {
        let store = ImageStore(paths: state.paths)
        var failures: [String] = []
        for name in images {
            do {
                for event in try storeCall({ try store.remove(name, force: force) }) { print(event) }
            } catch let e as UserError {
                failures.append(e.message)
            }
        }
        if !failures.isEmpty { throw UserError(failures.joined(separator: "\n")) }
    }
}

/// `berth image prune [-a]`.
struct ImagePruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images.")

    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Remove all images not used by a container, not just dangling ones.")
    var all = false

    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation (berth never prompts).")
    var force = false

    func run() throws {
        let store = ImageStore(paths: state.paths)
        let (events, report) = try storeCall { try store.prune(all: all) }
        if !events.isEmpty {
            print("Deleted Images:")
            for e in events { print(e) }
            print("")
        }
        print("Total reclaimed space: \(humanSize(report.reclaimedBytes))")
    }
}

/// `berth system df`.
struct SystemDfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show berth disk usage.")

    @OptionGroup var state: StateOptions

    @Option(help: "Format output: table (default) or json.")
    var format: String = "table"

    func run() throws {
        let store = ImageStore(paths: state.paths)
        let usage = try storeCall { try store.diskUsage() }
        let containers = directorySizes("\(state.paths.root)/containers")
        let volumes = directorySizes("\(state.paths.root)/volumes")
        let buildCache = directorySizes("\(state.paths.root)/build-cache")
        func pct(_ part: Int64, _ whole: Int64) -> String {
            whole == 0 ? "0B" : "\(humanSize(part)) (\(whole == 0 ? 0 : part * 100 / whole)%)"
        }
        let rows: [[String]] = [
            ["Images", "\(usage.images)", "\(usage.active)", humanSize(usage.size), pct(usage.reclaimable, usage.size)],
            ["Containers", "\(containers.count)", "0", humanSize(containers.size), humanSize(0)],
            ["Local Volumes", "\(volumes.count)", "0", humanSize(volumes.size), humanSize(0)],
            ["Build Cache", "\(buildCache.count)", "0", humanSize(buildCache.size), humanSize(buildCache.size)],
        ]
        if format == "json" {
            for r in rows {
                let keys = ["Type", "TotalCount", "Active", "Size", "Reclaimable"]
                print("{" + zip(keys, r).map { "\(jsonString($0)):\(jsonString($1))" }.joined(separator: ",") + "}")
            }
            return
        }
        print(renderTable(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows), terminator: "")
    }

    /// Entry count and total bytes (allocated blocks) below a directory.
    func directorySizes(_ dir: String) -> (count: Int, size: Int64) {
        var names: [String] = []
        if let d = opendir(dir) {
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if n != "." && n != ".." { names.append(n) }
            }
            closedir(d)
        }
        // Dot entries are berth's own (a store's `.lock`, kept record
        // directories `.spare-<k>`, removals in progress): on disk, not counted.
        return (names.filter { !$0.hasPrefix(".") }.count, names.reduce(0) { $0 + treeSize("\(dir)/\($1)") })
    }

    func treeSize(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        var total = Int64(st.st_blocks) * 512
        if st.st_mode & S_IFMT == S_IFDIR, let d = opendir(path) {
            defer { closedir(d) }
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if n != "." && n != ".." { total += treeSize("\(path)/\(n)") }
            }
        }
        return total
    }
}
