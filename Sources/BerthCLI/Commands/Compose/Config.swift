import ArgumentParser
import Compose
import Diagnostics
import YAML
#if canImport(Glibc)
import Glibc
#endif

/// `berth config`: parse, resolve and render the compose project in the
/// canonical format, like `docker compose config`.
struct ConfigCommand: MainThreadCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Parse, resolve and render the compose file in canonical format.")

    @OptionGroup var project: ProjectOptions

    @Option(name: .long, help: "Format the output. Values: [yaml | json]")
    var format: String = "yaml"

    @Flag(name: [.customShort("q"), .long], help: "Only validate the configuration, don't print anything.")
    var quiet = false

    @Flag(name: .long, help: "Print the service names, one per line.")
    var services = false

    @Flag(name: .long, help: "Print the volume names, one per line.")
    var volumes = false

    @Flag(name: .long, help: "Print the network names, one per line.")
    var networks = false

    @Flag(name: .long, help: "Print the profile names, one per line.")
    var profiles = false

    @Flag(name: .long, help: "Print the image names, one per line.")
    var images = false

    @Option(name: .long, help: ArgumentHelp("Print the service config hash, one per line: '*' or svc1,svc2.",
                                            valueName: "services"))
    var hash: String?

    @Flag(name: .long, help: "Don't interpolate environment variables.")
    var noInterpolate = false

    @Flag(name: .long, help: "Pin image tags to the digests of the images in berth's store.")
    var resolveImageDigests = false

    @OptionGroup var state: StateOptions

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Save to file (default: standard output).", valueName: "file"))
    var output: String?

    @Argument(help: "Services to include (their dependencies come along).")
    var serviceNames: [String] = []

    func validate() throws {
        guard format == "yaml" || format == "json" else {
            throw ValidationError("invalid --format \"\(format)\": expected yaml or json")
        }
    }

    func run() throws {
        LargeHeap.prepare()
        // The YAML/JSON of the tree is rendered while the loader checks
        // the project model on another thread.
        let rendersTree = !quiet && printsTree
        let (loaded, early) = try project.loadTree(services: serviceNames, interpolate: !noInterpolate) { model in
            rendersTree ? Result { try text(of: ConfigOutput.shape(model)) } : nil
        }
        // The process exits right after this command: its trees are left
        // for the exit to reclaim (freeing a large project node by node
        // costs about a millisecond).
        _ = Unmanaged.passRetained(KeptUntilExit(loaded))
        if quiet { return }
        let rendered = try early?.get() ?? render(loaded)
        if let output {
            try writeFile(output, rendered)
        } else {
            print(rendered, terminator: "")
        }
    }

    /// A value deliberately never released (see `run`).
    private final class KeptUntilExit {
        let value: LoadedTree
        init(_ value: LoadedTree) { self.value = value }
    }

    /// The text `config` prints for `loaded` under the chosen flags.
    func render(_ loaded: LoadedTree) throws -> String {
        var model = ConfigOutput.shape(loaded.normalized)
        if resolveImageDigests {
            model = try ConfigImageDigests.resolve(model, lookup: ConfigImageDigests.storeLookup(state.paths))
        }
        func lines(_ items: [String]) -> String { items.map { $0 + "\n" }.joined() }
        if services { return lines(model["services"]?.mappingKeys ?? []) }
        if volumes { return lines(model["volumes"]?.mappingKeys ?? []) }
        if networks { return lines(model["networks"]?.mappingKeys ?? []) }
        if profiles { return lines(loaded.allProfiles) }
        if images {
            return lines((model["services"]?.mappingPairs ?? []).compactMap { pair in
                guard let name = pair.key.scalarValue else { return nil }
                return pair.value["image"]?.scalarValue ?? "\(loaded.name)-\(name)"
            })
        }
        if let hash { return lines(try ConfigOutput.hashes(loaded, selection: hash)) }
        return try text(of: model)
    }

    /// Whether the output is the whole tree as YAML or JSON (no listing
    /// flag, no `--hash`, no digests to look up).
    var printsTree: Bool {
        !resolveImageDigests && !services && !volumes && !networks && !profiles && !images && hash == nil
    }

    /// The tree as `--format` asks.
    func text(of model: Node) throws -> String {
        if format == "json" { return JSONEmitter.emit(model, pretty: true) + "\n" }
        return try YAMLEmitter.emit(model)
    }

    func writeFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError.current("open", path) }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.current("write", path)
            }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// The layout of `config` output, following `docker compose config`: the
/// top-level keys in a fixed order (`name`, `services`, `networks`,
/// `volumes`, `secrets`, `configs`, then the rest), services and other
/// resources sorted by name, and each service's keys sorted.
enum ConfigOutput {
    static let topLevelOrder = ["name", "services", "networks", "volumes", "secrets", "configs", "models"]

    static func shape(_ model: Node) -> Node {
        guard let pairs = model.mappingPairs else { return model }
        var ordered: [Node.Pair] = []
        for key in topLevelOrder {
            guard let pair = pairs.last(where: { $0.key.scalarValue == key }) else { continue }
            var value = pair.value
            if key != "name" { value = sortedByKey(value) }
            if key == "services", let services = value.mappingPairs {
                value.kind = .mapping(services.map { Node.Pair(key: $0.key, value: sortedByKey($0.value)) })
            }
            ordered.append(Node.Pair(key: pair.key, value: value))
        }
        ordered += pairs.filter { !topLevelOrder.contains($0.key.scalarValue ?? "") }
        var result = model
        result.kind = .mapping(ordered)
        return result
    }

    static func sortedByKey(_ node: Node) -> Node {
        guard let pairs = node.mappingPairs else { return node }
        var copy = node
        // Each key's text read once, not once per comparison.
        let keyed = pairs.map { (key: $0.key.scalarValue ?? "", pair: $0) }
        copy.kind = .mapping(keyed.sorted { $0.key < $1.key }.map(\.pair))
        return copy
    }

    /// `--hash`: `service hash` lines for `*` or a comma-separated list.
    static func hashes(_ loaded: LoadedTree, selection: String) throws -> [String] {
        let all = (loaded.normalized["services"]?.mappingKeys ?? []).sorted()
        let wanted = selection == "*" ? all : selection.split(separator: ",").map { String($0).trimmingSpaces() }
        // The loader checked that the model reads without an error.
        let project = try Project(normalized: loaded.normalized)
        var result: [String] = []
        for name in wanted {
            guard let service = project.service(named: name) else {
                throw UserError("no such service: \(name)")
            }
            result.append("\(name) \(ServiceGraph.configHash(service))")
        }
        return result
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
