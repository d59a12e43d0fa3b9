import ImageStore
import OCI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Docker's `image inspect` document for a stored image.
struct ImageInspection: Encodable {
    struct RootFSInfo: Encodable {
        var type: String
        var layers: [String]
        enum CodingKeys: String, CodingKey { case type = "Type", layers = "Layers" }
    }

    struct Metadata: Encodable {
        var lastTagTime: String
        enum CodingKeys: String, CodingKey { case lastTagTime = "LastTagTime" }
    }

    var id: String
    var repoTags: [String]
    var repoDigests: [String]
    var created: String
    var author: String
    var config: ContainerConfig
    var architecture: String
    var os: String
    var size: Int64
    var rootFS: RootFSInfo
    var manifestDigest: String
    var metadata: Metadata

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created", author = "Author"
        case config = "Config", architecture = "Architecture", os = "Os", size = "Size", rootFS = "RootFS"
        case manifestDigest = "ManifestDigest", metadata = "Metadata"
    }

    static func render(_ image: StoredImage) throws -> String {
        let doc = ImageInspection(
            id: image.configDigest.description,
            repoTags: image.tags.map { (try? ImageReference.parse($0).familiarDescription) ?? $0 },
            repoDigests: [],
            created: image.config.created ?? "",
            author: image.config.author ?? "",
            config: image.config.runtime,
            architecture: image.config.architecture,
            os: image.config.os,
            size: image.size,
            rootFS: RootFSInfo(type: image.config.rootfs.type, layers: image.config.rootfs.diffIDs.map(\.description)),
            manifestDigest: image.manifestDigest.description,
            metadata: Metadata(lastTagTime: image.loaded))
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try e.encode(doc), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}
