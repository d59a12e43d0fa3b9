import ArgumentParser
import ImageStore
import OCI

/// `berth images [REPOSITORY[:TAG]]`: Docker's image table.
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images.")

    @OptionGroup var state: StateOptions

    @Argument(help: "Only show images of this repository (and tag).")
    var reference: String?

    @Flag(name: .shortAndLong, help: "Only show image IDs.")
    var quiet = false

    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.")
    var noTrunc = false

    @Option(help: "Format output: table (default) or json (one object per line).")
    var format: String = "table"

    func run() throws {
        guard format == "table" || format == "json" else {
            throw ValidationError("invalid --format \"\(format)\": expected table or json")
        }
        let store = ImageStore(paths: state.paths)
        let images = try storeCall { try store.images() }
        let filter = try reference.map { text -> (String, String?) in
            let ref = try storeCall { try ImageReference.parseNormalized(text) }
            return (ref.name, ref.tag)
        }
        struct Row { var repository: String; var tag: String; var id: String; var image: StoredImage }
        var rows: [Row] = []
        for image in images {
            let id = noTrunc ? image.configDigest.description : image.configDigest.shortID
            if image.tags.isEmpty {
                if filter == nil { rows.append(Row(repository: "<none>", tag: "<none>", id: id, image: image)) }
                continue
            }
            for t in image.tags {
                guard let ref = try? ImageReference.parse(t) else { continue }
                if let (name, tag) = filter, name != ref.name || (tag != nil && tag != ref.tag) { continue }
                rows.append(Row(repository: ref.familiarName, tag: ref.tag ?? "<none>", id: id, image: image))
            }
        }
        if quiet {
            var seen: Set<String> = []
            for r in rows where seen.insert(r.id).inserted { print(r.id) }
            return
        }
        if format == "json" {
            for r in rows {
                let fields: [(String, String)] = [
                    ("Containers", "N/A"), ("CreatedAt", r.image.config.created ?? ""),
                    ("CreatedSince", humanSince(r.image.config.created)), ("Digest", "<none>"), ("ID", r.id),
                    ("Repository", r.repository), ("SharedSize", "N/A"), ("Size", humanSize(r.image.size)),
                    ("Tag", r.tag), ("UniqueSize", "N/A"), ("VirtualSize", humanSize(r.image.size)),
                ]
                print("{" + fields.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}")
            }
            return
        }
        print(renderTable(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows.map {
            [$0.repository, $0.tag, $0.id, humanSince($0.image.config.created), humanSize($0.image.size)]
        }), terminator: "")
    }
}

/// `berth image inspect IMAGE…`: a JSON array shaped like Docker's.
struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images.")

    @OptionGroup var state: StateOptions

    @Argument(help: "Images to inspect.")
    var images: [String]

    func run() throws {
        let store = ImageStore(paths: state.paths)
        var objects: [String] = []
        var failed: [String] = []
        for name in images {
            do {
                let image = try storeCall { try store.image(name) }
                objects.append(try ImageInspection.render(image))
            } catch let e as UserError {
                failed.append(e.message)
            }
        }
        print(objects.isEmpty ? "[]" : "[\n" + objects.joined(separator: ",\n") + "\n]")
        if !failed.isEmpty { throw UserError(failed.joined(separator: "\n")) }
    }
}
