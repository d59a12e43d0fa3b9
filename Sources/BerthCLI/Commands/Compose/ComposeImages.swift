import ArgumentParser
import Compose
import Engine
import ImageStore
import Runtime

/// `berth compose images`: the images the project's containers use
/// (CONTAINER REPOSITORY TAG IMAGE ID SIZE), like `docker compose images`.
struct ComposeImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images used by the created containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Only display IDs.") var quiet = false
    @Option(name: .long, help: "Format the output. Values: [table | json]") var format = "table"
    @Argument(help: "Services to list.") var services: [String] = []

    func validate() throws {
        guard format == "table" || format == "json" else {
            throw ValidationError("invalid --format \"\(format)\": expected table or json")
        }
    }

    func run() async throws {
        try requireRoot("berth compose images")
        let session = try ProjectSession(project, state)
        try session.check(services)
        struct Row { var container, repository, tag, id: String; var size: Int64 }
        let rows = try session.driver.containers(of: services).map { entry -> Row in
            let (repository, tag) = Self.split(entry.record.image)
            let stored = session.driver.storedImage(of: entry.record)
            let id = stored?.configDigest.description ?? entry.record.imageDigest
            return Row(container: entry.record.name, repository: repository, tag: tag, id: id, size: stored?.size ?? 0)
        }
        if quiet {
            var seen = Set<String>()
            for row in rows where seen.insert(row.id).inserted { writeStdout(Self.shortID(row.id) + "\n") }
            return
        }
        if format == "json" {
            let items = rows.map { row -> String in
                var text = "{"
                for (i, (k, v)) in [("ID", row.id), ("ContainerName", row.container), ("Repository", row.repository),
                                    ("Tag", row.tag)].enumerated() {
                    if i > 0 { text += "," }
                    RecordJSON.quote(k, into: &text)
                    text += ":"
                    RecordJSON.quote(v, into: &text)
                }
                return text + ",\"Size\":\(row.size)}"
            }
            writeStdout("[" + items.joined(separator: ",") + "]\n")
            return
        }
        let table = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]] + rows.map {
            [$0.container, $0.repository, $0.tag, Self.shortID($0.id), humanSize($0.size)]
        }
        writeStdout(renderTable(table))
    }

    /// `busybox:latest` → (busybox, latest); `reg:5000/a/b` → (reg:5000/a/b, latest);
    /// a digest reference has tag `<none>`.
    static func split(_ reference: String) -> (String, String) {
        if let at = reference.firstIndex(of: "@") { return (String(reference[..<at]), "<none>") }
        let slash = reference.lastIndex(of: "/")
        if let colon = reference.lastIndex(of: ":"), slash.map({ colon > $0 }) ?? true {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }

    /// The 12 hex digits Docker shows.
    static func shortID(_ id: String) -> String {
        String((id.split(separator: ":").last.map(String.init) ?? id).prefix(12))
    }
}
