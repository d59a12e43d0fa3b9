import Diagnostics
import JSONCoding
import OCI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// An image in the store, resolved for the runtime.
public struct StoredImage: Sendable, Hashable {
    /// What it was looked up by, normalized (`docker.io/library/busybox:latest`),
    /// or its ID when looked up by ID.
    public var reference: String
    /// Every tag pointing at it, normalized.
    public var tags: [String]
    public var manifestDigest: Digest
    /// The image ID Docker shows: the config digest.
    public var configDigest: Digest
    public var manifest: Manifest
    public var config: ImageConfig
    /// Layer blobs, lowest first.
    public var layers: [Descriptor]
    /// Snapshot keys, lowest first.
    public var chainIDs: [Digest]
    /// Unpacked size in bytes (sum of the layers' file contents).
    public var size: Int64
    /// When it entered this store (RFC 3339).
    public var loaded: String
}

/// How a container's root filesystem is assembled from an image: an
/// overlay of `lowerDirs` plus the container's own upper/work dirs.
public struct RootfsLayout: Sendable, Hashable {
    /// Snapshot directories, top-most first, ready for `lowerdir=`.
    public var lowerDirs: [String]
    /// The snapshots directory; relative short names are resolved from here.
    public var linkDirectory: String
    /// `l/<16 hex>` short names for the same directories, top-most first.
    public var shortLowerDirs: [String]
}

/// berth's image store. Safe to use from several processes at once:
/// records are changed under an exclusive lock, and loads hold a shared
/// GC lock so garbage collection never removes what a load is adding.
public final class ImageStore: Sendable {
    public let paths: StatePaths
    public let content: ContentStore
    let snapshots: Snapshotter
    let recordsPath: String
    let lockDirectory: String

    public init(paths: StatePaths) {
        self.paths = paths
        content = ContentStore(directory: "\(paths.root)/content")
        snapshots = Snapshotter(directory: "\(paths.root)/snapshots")
        recordsPath = "\(paths.root)/images/records.json"
        lockDirectory = "\(paths.run)/images"
    }

    // MARK: Lookup

    /// Finds an image by reference (`busybox`, `busybox:1`, `host:5000/a@sha256:…`)
    /// or by ID (`sha256:…`, or a unique hex prefix of the config digest).
    public func image(_ reference: String) throws -> StoredImage {
        let records = try readRecords()
        guard let (manifest, shown) = try resolve(reference, in: records) else {
            throw ImageStoreError.unknownImage(reference)
        }
        return try stored(manifest, reference: shown, records: records)
    }

    /// Every image, newest first.
    public func images() throws -> [StoredImage] {
        let records = try readRecords()
        return try records.images.keys.sorted().compactMap { key -> StoredImage? in
            let digest = try Digest(parsing: key)
            let tags = records.tags(of: digest)
            return try stored(digest, reference: tags.first ?? digest.description, records: records)
        }.sorted { ($0.config.created ?? $0.loaded, $0.manifestDigest) > ($1.config.created ?? $1.loaded, $1.manifestDigest) }
    }

    /// The unpacked layer directories of `image`, lowest first. Unpacks any
    /// missing snapshot first (e.g. after GC raced a half-finished load).
    public func snapshotDirectories(for image: StoredImage) throws -> [String] {
        _ = try withGCLock(exclusive: false) {
            try ensureSnapshots(manifest: image.manifest, config: image.config)
        }
        return image.chainIDs.map { snapshots.path($0) }
    }

    /// The overlay layout for a container of `image`.
    public func rootfsLayout(for image: StoredImage) throws -> RootfsLayout {
        let dirs = try snapshotDirectories(for: image)
        return RootfsLayout(lowerDirs: dirs.reversed(), linkDirectory: snapshots.directory,
                            shortLowerDirs: image.chainIDs.reversed().map { "l/" + Snapshotter.shortName($0) })
    }

    /// Mount options for a container root: `mount("overlay", target,
    /// "overlay", 0, options)` with the working directory set to `directory`
    /// (e.g. `fchdir` in the C child before mount). Snapshot dirs are named by
    /// short relative links so deep images stay under the one-page limit.
    public func overlayMountOptions(lowerDirs: [String], upper: String, work: String) -> (directory: String, options: String) {
        OverlayOptions.make(lowerDirs: lowerDirs, upper: upper, work: work, snapshots: snapshots.directory)
    }

    /// Mounts a container root filesystem (overlay of `layout` + upper/work) on `target`.
    public func mountRootfs(_ layout: RootfsLayout, upper: String, work: String, target: String) throws {
        let (dir, options) = overlayMountOptions(lowerDirs: layout.lowerDirs, upper: upper, work: work)
        try OverlayOptions.mount(target: target, directory: dir, options: options)
    }

    func stored(_ manifestDigest: Digest, reference: String, records: ImageRecords) throws -> StoredImage {
        guard let record = records.images[manifestDigest.description] else {
            throw ImageStoreError.unknownImage(reference)
        }
        let manifest = try StoredJSON.manifest(content.read(manifestDigest))
        let config = try StoredJSON.config(content.read(manifest.config.digest))
        return StoredImage(reference: reference, tags: records.tags(of: manifestDigest), manifestDigest: manifestDigest,
                           configDigest: manifest.config.digest, manifest: manifest, config: config,
                           layers: manifest.layers, chainIDs: Digest.chainIDs(diffIDs: config.rootfs.diffIDs),
                           size: record.size, loaded: record.loaded)
    }

    /// Resolves a user's string to a manifest digest and the name to show.
    func resolve(_ text: String, in records: ImageRecords) throws -> (Digest, String)? {
        // 1. A full or short reference with a tag.
        if let ref = try? ImageReference.parse(text) {
            if let digest = ref.digest {
                if records.images[digest.description] != nil { return (digest, ref.description) }
            } else if let m = records.tags[ref.description] {
                return (m, ref.description)
            }
        }
        // 2. An ID: sha256:<hex> or a hex prefix, of the config or the manifest digest.
        var hex = text.lowercased()
        if hex.hasPrefix("sha256:") { hex = String(hex.dropFirst(7)) }
        guard !hex.isEmpty, hex.count <= 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        var matches: Set<Digest> = []
        for (key, record) in records.images {
            if record.config.encoded.hasPrefix(hex) || (key.dropFirst(7).hasPrefix(hex) && hex.count >= 12) {
                matches.insert(try Digest(parsing: key))
            }
        }
        if matches.count > 1 {
            let ids = Set(matches.compactMap { records.images[$0.description]?.config })
            if ids.count > 1 {
                throw ImageStoreError.ambiguousImage(text, ids.map(\.shortID).sorted())
            }
        }
        guard let m = matches.sorted().first else { return nil }
        return (m, records.images[m.description]?.config.description ?? m.description)
    }

    // MARK: Records

    func readRecords() throws -> ImageRecords {
        guard StateFS.exists(recordsPath) else { return ImageRecords() }
        let bytes = try StateFS.read(recordsPath)
        if let json = try? RecordJSON.parse(bytes), let records = ImageRecords(json: json) { return records }
        do { return try decodeJSON(ImageRecords.self, bytes) } catch {
            throw ImageStoreError.corruptRecords(recordsPath, "\(error)")
        }
    }

    /// Read-modify-write of the records under the records lock.
    @discardableResult
    func updateRecords<T>(_ body: (inout ImageRecords) throws -> T) throws -> T {
        try withLock("records.lock", exclusive: true) {
            var records = try readRecords()
            let result = try body(&records)
            try StateFS.writeAtomically(recordsPath, encodeJSON(records))
            return result
        }
    }

    // MARK: Locks

    func withGCLock<T>(exclusive: Bool, _ body: () throws -> T) throws -> T {
        try withLock("gc.lock", exclusive: exclusive, body)
    }

    func withLock<T>(_ name: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        try StateFS.makeDirectories(lockDirectory)
        let file = try StoreFile.open("\(lockDirectory)/\(name)", O_RDWR | O_CREAT, mode: 0o600)
        if retryEINTR({ flock(file.fd, exclusive ? LOCK_EX : LOCK_SH) }) != 0 {
            throw SystemError.current("flock", file.path)
        }
        defer { _ = flock(file.fd, LOCK_UN) }
        return try body()
    }

    // MARK: Snapshots

    /// Unpacks every layer of an image that has no snapshot yet, verifying
    /// each blob against its digest and each tar against its diff ID.
    /// Returns the chain IDs it created.
    @discardableResult
    func ensureSnapshots(manifest: Manifest, config: ImageConfig) throws -> [Digest] {
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw ImageStoreError.corruptArchive(
                "the config lists \(diffIDs.count) layer diff IDs but the manifest has \(manifest.layers.count) layers")
        }
        let chain = Digest.chainIDs(diffIDs: diffIDs)
        var created: [Digest] = []
        do {
            for (i, layer) in manifest.layers.enumerated() where !snapshots.exists(chain[i]) {
                let made = try snapshots.create(chain[i], diffID: diffIDs[i], parents: Array(chain[..<i])) { rootFD, over in
                    let (stats, diff) = try unpack(layer: layer, into: rootFD, applyWhiteouts: over)
                    if diff != diffIDs[i] {
                        throw ImageStoreError.digestMismatch(what: "layer \(layer.digest.shortID) (uncompressed)",
                                                             expected: diffIDs[i], actual: diff)
                    }
                    return stats.bytes
                }
                if made { created.append(chain[i]) }
            }
        } catch {
            for c in created.reversed() { try? snapshots.remove(c) }
            throw error
        }
        return created
    }

    /// Streams a layer blob through decompression and the unpacker,
    /// verifying the blob digest; returns the stats and the diff ID.
    func unpack(layer: Descriptor, into rootFD: Int32, applyWhiteouts: Bool) throws -> (UnpackStats, Digest) {
        let file = try content.open(layer.digest)
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, 4, 0) }
        let compression = LayerCompression.sniff(Array(magic.prefix(max(0, n))))
        let stream = try LayerStream(file: file, compression: compression, pipelined: true)
        let unpacker = LayerUnpacker(rootFD: rootFD, layerName: layer.digest.shortID, applyWhiteouts: applyWhiteouts)
        do {
            try unpacker.apply(TarReader(stream.input))
            try stream.input.drain()
            try stream.blob.drain()
        } catch let e as TarFormatError {
            throw ImageStoreError.corruptLayer(layer.digest, e.description)
        } catch let e as CorruptStream {
            throw ImageStoreError.corruptLayer(layer.digest, e.description)
        }
        let blobDigest = stream.blob.hasher.finalize()
        if blobDigest != layer.digest {
            throw ImageStoreError.digestMismatch(what: "layer blob", expected: layer.digest, actual: blobDigest)
        }
        return (unpacker.stats, stream.tar.hasher.finalize())
    }
}

/// `<root>/images/records.json`: images by manifest digest, and tags.
struct ImageRecords: Codable, Sendable {
    /// A new field here must be read by `init?(json:)` too (or make it
    /// return nil), else the start path drops it silently.
    struct Record: Codable, Sendable {
        var config: Digest
        var size: Int64
        var loaded: String
    }

    var images: [String: Record] = [:]
    /// Normalized reference → manifest digest.
    var tags: [String: Digest] = [:]

    func tags(of manifest: Digest) -> [String] {
        tags.filter { $0.value == manifest }.map(\.key).sorted()
    }
}

extension ImageRecords {
    /// The records read straight from their JSON tree, not through
    /// `Decodable`: the standard library's generic `Dictionary` decoding
    /// makes the runtime instantiate metadata from mangled names and scan
    /// conformance records (≈ 0.5 ms the first time in a process). Nil when
    /// the tree is not what `encodeJSON` writes (both keys, every field of
    /// every record); `readRecords` then decodes with JSONDecoder as before.
    init?(json: RecordJSON) {
        guard case .object(let top) = json else { return nil }
        var sawImages = false, sawTags = false
        for (key, value) in top {
            guard case .object(let members) = value else {
                if key == "images" || key == "tags" { return nil }
                continue  // other keys: ignored, as JSONDecoder ignores them
            }
            switch key {
            case "images":
                sawImages = true
                for (manifest, entry) in members {
                    guard case .object(let fields) = entry else { return nil }
                    var config: Digest?, size: Int64?, loaded: String?
                    for (name, field) in fields {
                        switch name {
                        case "config": config = field.stringValue.flatMap { try? Digest(parsing: $0) }
                        case "size": size = field.intValue
                        case "loaded": loaded = field.stringValue
                        default: break
                        }
                    }
                    guard let config, let size, let loaded else { return nil }
                    images[manifest] = Record(config: config, size: size, loaded: loaded)
                }
            case "tags":
                sawTags = true
                for (reference, target) in members {
                    guard let digest = target.stringValue.flatMap({ try? Digest(parsing: $0) }) else { return nil }
                    tags[reference] = digest
                }
            default:
                continue
            }
        }
        guard sawImages, sawTags else { return nil }
    }
}

/// Manifests and configs the store checked before storing them, read
/// through JSONCoding (the records: `ImageRecords(json:)`): Foundation's JSONDecoder
/// costs ≈ 1.5 ms of CPU the first time a process uses it (generic
/// metadata instantiated from mangled names, conformance scans), a fifth of
/// the CLI's own work in `run --rm`. A document JSONCoding cannot read, or
/// one that fails its checks, goes through JSONDecoder as before, so errors
/// read the same. `ImageStoreTests` checks that both decode to equal values.
enum StoredJSON {
    static func manifest(_ bytes: [UInt8]) throws(OCIError) -> Manifest {
        if let m = RecordCoding.decodeIfReadable(Manifest.self, from: bytes), (try? m.check()) != nil { return m }
        return try Manifest.decode(bytes)
    }

    static func config(_ bytes: [UInt8]) throws(OCIError) -> ImageConfig {
        if let c = RecordCoding.decodeIfReadable(ImageConfig.self, from: bytes), (try? c.check()) != nil { return c }
        return try ImageConfig.decode(bytes)
    }
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try JSONDecoder().decode(type, from: Data(bytes))
}

func encodeJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
    let e = JSONEncoder()
    e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return Array(try e.encode(value))
}

/// Now as RFC 3339 with nanoseconds, as Docker writes `created`.
func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = time_t(ts.tv_sec)
    var tm = tm()
    gmtime_r(&t, &tm)
    func pad(_ v: Int32, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    let ns = String(ts.tv_nsec)
    return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(String(repeating: "0", count: 9 - ns.count) + ns)Z"
}
