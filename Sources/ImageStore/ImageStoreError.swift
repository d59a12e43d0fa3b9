import OCI

/// Errors of the image store, worded for the user.
public enum ImageStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownImage(String)
    case ambiguousImage(String, [String])
    case missingBlob(Digest)
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    case corruptArchive(String)
    case corruptLayer(Digest, String)
    case unsafeLayerEntry(layer: String, entry: String, reason: String)
    case imageInUse(String, containers: [String])
    case invalidChange(String, String)
    case noImagesInArchive
    case corruptRecords(String, String)

    public var description: String {
        switch self {
        case let .unknownImage(ref): "No such image: \(ref)"
        case let .ambiguousImage(ref, candidates):
            "\"\(ref)\" matches more than one image: \(candidates.joined(separator: ", ")); use a longer ID"
        case let .missingBlob(d): "blob \(d) is missing from the content store"
        case let .digestMismatch(what, expected, actual):
            "digest mismatch for \(what): expected \(expected), got \(actual)"
        case let .corruptArchive(why): "corrupt image archive: \(why)"
        case let .corruptLayer(d, why): "layer \(d.shortID): \(why)"
        case let .unsafeLayerEntry(layer, entry, reason):
            "refusing unsafe entry \"\(entry)\" in layer \(layer): \(reason)"
        case let .imageInUse(ref, containers):
            "conflict: unable to remove \(ref): image is in use by container\(containers.count == 1 ? "" : "s") \(containers.joined(separator: ", ")) (use -f to force)"
        case let .invalidChange(change, why): "invalid --change \"\(change)\": \(why)"
        case .noImagesInArchive: "the archive holds no image (no manifest.json or index.json)"
        case let .corruptRecords(path, why): "image records \(path) are unreadable: \(why)"
        }
    }
}
