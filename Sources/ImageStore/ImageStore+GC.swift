import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What garbage collection removed.
public struct GCReport: Sendable, Hashable {
    public var blobs = 0
    public var snapshots = 0
    public var reclaimedBytes: Int64 = 0
}

/// One step of `rmi`, printed as Docker does (`Untagged: …`, `Deleted: …`).
public enum RemovalEvent: Sendable, Hashable, CustomStringConvertible {
    case untagged(String)
    case deleted(Digest)

    public var description: String {
        switch self {
        case let .untagged(ref): "Untagged: \((try? ImageReference.parse(ref).familiarDescription) ?? ref)"
        case let .deleted(d): "Deleted: \(d)"
        }
    }
}

extension ImageStore {
    // MARK: Tags

    /// `berth tag SOURCE TARGET`.
    public func tag(_ source: String, _ target: String) throws {
        let ref = try ImageReference.parse(target)
        guard ref.digest == nil else {
            throw OCIError.invalidReference(target, "a tag cannot include a digest")
        }
        try updateRecords { records in
            guard let (manifest, _) = try resolve(source, in: records) else { throw ImageStoreError.unknownImage(source) }
            records.tags[ref.description] = manifest
        }
    }

    // MARK: Containers

    /// Containers that use an image: `<root>/containers/*/config.json` with
    /// an `"imageDigest"` (image ID or manifest digest) or `"image"` field (a
    /// reference or ID). Keyed by manifest digest.
    public func imageUsers() -> [Digest: [String]] {
        let dir = "\(paths.root)/containers"
        let records = (try? readRecords()) ?? ImageRecords()
        var users: [Digest: [String]] = [:]
        for name in StateFS.list(dir) {
            guard let bytes = try? StateFS.read("\(dir)/\(name)/config.json"),
                  let c = try? decodeJSON(ContainerImageField.self, bytes) else { continue }
            // The recorded digest (image ID) wins: a tag may have moved since.
            let candidates = [c.imageDigest, c.image].compactMap { $0 }.filter { !$0.isEmpty }
            guard let resolved = candidates.lazy.compactMap({ try? self.resolve($0, in: records) }).first else { continue }
            let shown = (c.name ?? "").isEmpty ? name : (c.name ?? name)
            users[resolved.0, default: []].append(shown)
        }
        return users
    }

    // MARK: Removal

    /// `berth rmi`: untags, and deletes the image when no tag and no
    /// container is left, then collects garbage.
    public func remove(_ reference: String, force: Bool) throws -> [RemovalEvent] {
        let users = imageUsers()
        let events: [RemovalEvent] = try updateRecords { records in
            guard let (manifest, shown) = try resolve(reference, in: records) else {
                throw ImageStoreError.unknownImage(reference)
            }
            let tags = records.tags(of: manifest)
            let byTag = tags.contains(shown)
            let using = users[manifest] ?? []
            if byTag && tags.count > 1 {
                records.tags[shown] = nil
                return [.untagged(shown)]
            }
            if !using.isEmpty && !force {
                throw ImageStoreError.imageInUse((try? ImageReference.parse(reference).familiarDescription) ?? reference,
                                                 containers: using.sorted())
            }
            if !byTag && tags.count > 1 && !force {
                throw ImageStoreError.ambiguousImage(reference, tags.map { (try? ImageReference.parse($0).familiarDescription) ?? $0 })
            }
            var events: [RemovalEvent] = []
            for t in (byTag ? [shown] : tags) {
                records.tags[t] = nil
                events.append(.untagged(t))
            }
            if using.isEmpty, let record = records.images[manifest.description] {
                records.images[manifest.description] = nil
                events.append(.deleted(record.config))
            }
            return events
        }
        try garbageCollect()
        return events
    }

    /// `berth image prune`: removes dangling images (no tag), or with `all`
    /// every image no container uses; then collects garbage.
    public func prune(all: Bool) throws -> ([RemovalEvent], GCReport) {
        let users = imageUsers()
        let events: [RemovalEvent] = try updateRecords { records in
            var events: [RemovalEvent] = []
            for (key, record) in records.images.sorted(by: { $0.key < $1.key }) {
                guard let m = try? Digest(parsing: key), users[m] == nil else { continue }
                let tags = records.tags(of: m)
                if !tags.isEmpty && !all { continue }
                for t in tags {
                    records.tags[t] = nil
                    events.append(.untagged(t))
                }
                records.images[key] = nil
                events.append(.deleted(record.config))
            }
            return events
        }
        return (events, try garbageCollect())
    }

    // MARK: Garbage collection

    /// Every blob some image record references (manifest, config, layers).
    func referencedBlobs() throws -> Set<Digest> {
        let records = try readRecords()
        var keep: Set<Digest> = []
        for (key, record) in records.images {
            guard let m = try? Digest(parsing: key) else { continue }
            keep.insert(m)
            keep.insert(record.config)
            if let manifest = try? Manifest.decode(content.read(m)) {
                keep.formUnion(manifest.layers.map(\.digest))
            }
        }
        return keep
    }

    func referencedSnapshots() throws -> Set<Digest> {
        let records = try readRecords()
        var keep: Set<Digest> = []
        for record in records.images.values {
            if let config = try? ImageConfig.decode(content.read(record.config)) {
                keep.formUnion(Digest.chainIDs(diffIDs: config.rootfs.diffIDs))
            }
        }
        return keep
    }

    /// Removes blobs and snapshots no image references (images in use by a
    /// container always keep their record, so their content stays), plus
    /// leftovers of interrupted loads. Waits for running loads to finish.
    @discardableResult
    public func garbageCollect() throws -> GCReport {
        try withGCLock(exclusive: true) {
            var report = GCReport()
            let blobs = try referencedBlobs()
            let snaps = try referencedSnapshots()
            for d in content.digests() where !blobs.contains(d) {
                report.reclaimedBytes += content.size(of: d) ?? 0
                try content.remove(d)
                report.blobs += 1
            }
            for s in snapshots.list() where !snaps.contains(s) {
                report.reclaimedBytes += snapshots.metadata(s)?.size ?? 0
                try snapshots.remove(s)
                report.snapshots += 1
            }
            try content.removeIngestLeftovers()
            try snapshots.removeLeftovers()
            return report
        }
    }

    // MARK: Disk usage

    /// Sizes for `berth system df`: unique snapshot bytes of all images and
    /// of images no container uses.
    public func diskUsage() throws -> (images: Int, active: Int, size: Int64, reclaimable: Int64) {
        let records = try readRecords()
        let users = imageUsers()
        var all: [Digest: Int64] = [:]
        var used: Set<Digest> = []
        for (key, record) in records.images {
            guard let m = try? Digest(parsing: key),
                  let config = try? ImageConfig.decode(content.read(record.config)) else { continue }
            for c in Digest.chainIDs(diffIDs: config.rootfs.diffIDs) {
                all[c] = snapshots.metadata(c)?.size ?? 0
                if users[m] != nil { used.insert(c) }
            }
        }
        let size = all.values.reduce(0, +)
        let usedSize = used.reduce(0) { $0 + (all[$1] ?? 0) }
        return (records.images.count, users.count, size, size - usedSize)
    }
}

/// The fields of a container record the image store reads.
struct ContainerImageField: Decodable {
    var image: String?
    /// Runtime's `ContainerRecord.imageDigest`: the image ID or manifest digest.
    var imageDigest: String?
    var name: String?
}
