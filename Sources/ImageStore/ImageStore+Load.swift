import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// One image added by `load` or `import`.
public struct LoadedImage: Sendable, Hashable {
    public var manifestDigest: Digest
    public var configDigest: Digest
    /// Normalized references tagged by this load.
    public var tags: [String]
}

extension ImageStore {
    /// Loads a `docker save` archive or an OCI image-layout archive (plain or
    /// gzip-compressed) from `fd`. All or nothing: on any error (corrupt
    /// archive, digest mismatch, disk full) the records are unchanged and the
    /// blobs and snapshots this load created are removed.
    public func load(fd: Int32, name: String = "archive") throws -> [LoadedImage] {
        try withGCLock(exclusive: false) {
            var session = IngestSession(store: self)
            do {
                let result = try loadArchive(fd: fd, name: name, session: &session)
                return result
            } catch {
                session.rollback()
                throw error
            }
        }
    }

    private func loadArchive(fd: Int32, name: String, session: inout IngestSession) throws -> [LoadedImage] {
        let raw = PeekableSource(StoreFile(fd: dup(fd), path: name))
        let head = try raw.peek(4)
        let source: any ByteSource = LayerCompression.sniff(head) == .gzip ? try GzipSource(raw) : raw
        let tar = TarReader(BufferedInput(source))
        var files: [String: ArchiveFile] = [:]
        do {
            while let entry = try tar.next() {
                guard let path = archivePath(entry.name) else { continue }
                switch entry.kind {
                case .regular:
                    var expected: Digest?
                    if path.hasPrefix("blobs/sha256/") {
                        expected = try? Digest(sha256Hex: String(path.dropFirst("blobs/sha256/".count)))
                    }
                    var small: [UInt8]? = entry.size <= 1 << 20 ? [] : nil
                    let ingested = try session.ingest(expected: expected) { write in
                        try tar.readData { chunk in
                            if small != nil { small?.append(contentsOf: chunk) }
                            try write(chunk)
                        }
                    }
                    files[path] = .blob(ingested.digest, ingested.size, small)
                case .symbolicLink:
                    files[path] = .link(resolveArchiveLink(from: path, entry.linkName))
                case .hardLink:
                    files[path] = .link(archivePath(entry.linkName) ?? entry.linkName)
                default:
                    continue
                }
            }
        } catch let e as TarFormatError {
            throw ImageStoreError.corruptArchive(e.description)
        } catch let e as CorruptStream {
            throw ImageStoreError.corruptArchive(e.description)
        } catch ImageStoreError.digestMismatch(_, let expected, let actual) {
            throw ImageStoreError.corruptArchive("blob \(expected) has digest \(actual) (the archive is damaged)")
        }

        let archive = ArchiveFiles(files: files)
        var images: [(Manifest, [UInt8], [String])] = []
        let dockerEntries = try archive.document("manifest.json").map { try decodeJSON([DockerArchiveEntry].self, $0) }
        if let indexBytes = try archive.document("index.json") {
            let index = try ImageIndex.decode(indexBytes)
            for descriptor in index.manifests {
                guard let (manifestBytes, manifest) = try resolveManifest(descriptor, archive) else { continue }
                var names: [String] = []
                for key in [Annotation.containerdImageName, Annotation.refName] {
                    if let n = descriptor.annotations?[key], n.contains(":") || n.contains("/"),
                       let ref = try? ImageReference.parse(n), ref.tag != nil {
                        names.append(ref.description)
                        break
                    }
                }
                for entry in dockerEntries ?? [] {
                    if let d = archive.digest(entry.config), d == manifest.config.digest {
                        names += (entry.repoTags ?? []).compactMap { try? ImageReference.parse($0).description }
                    }
                }
                if let i = images.firstIndex(where: { Digest.sha256(of: $0.1) == Digest.sha256(of: manifestBytes) }) {
                    images[i].2 += names
                } else {
                    images.append((manifest, manifestBytes, names))
                }
            }
        } else if let entries = dockerEntries {
            for entry in entries {
                guard let configDigest = archive.digest(entry.config) else {
                    throw ImageStoreError.corruptArchive("manifest.json names config \"\(entry.config)\", which is not in the archive")
                }
                let configName = entry.config.split(separator: "/").last.map(String.init) ?? entry.config
                if configName.hasSuffix(".json"), let named = try? Digest(sha256Hex: String(configName.dropLast(5))),
                   named != configDigest {
                    throw ImageStoreError.corruptArchive("config \(entry.config) has digest \(configDigest)")
                }
                var layers: [Descriptor] = []
                for path in entry.layers {
                    guard let d = archive.digest(path), let size = archive.size(path) else {
                        throw ImageStoreError.corruptArchive("manifest.json names layer \"\(path)\", which is not in the archive")
                    }
                    try session.keep(archive, path)
                    let file = try content.open(d)
                    var magic = [UInt8](repeating: 0, count: 4)
                    let n = magic.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, 4, 0) }
                    layers.append(Descriptor(mediaType: LayerCompression.sniff(Array(magic.prefix(max(0, n)))).ociMediaType,
                                             digest: d, size: size))
                }
                try session.keep(archive, entry.config)
                let configSize = archive.size(entry.config) ?? 0
                let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: configSize),
                                        layers: layers)
                let names = (entry.repoTags ?? []).compactMap { try? ImageReference.parse($0).description }
                images.append((manifest, manifest.encoded(), names))
            }
        } else {
            throw ImageStoreError.noImagesInArchive
        }
        if images.isEmpty { throw ImageStoreError.noImagesInArchive }

        var loaded: [LoadedImage] = []
        var sizes: [Digest: Int64] = [:]
        for (manifest, manifestBytes, names) in images {
            let configBytes = try archive.bytes(manifest.config.digest, content: content)
            try session.keepDigest(manifest.config.digest)
            let config = try ImageConfig.decode(configBytes)
            for layer in manifest.layers {
                guard content.contains(layer.digest) else {
                    throw ImageStoreError.corruptArchive("layer \(layer.digest) is not in the archive")
                }
                try session.keepDigest(layer.digest)
            }
            let stored = try session.put(manifestBytes, mediaType: manifest.mediaType ?? MediaType.ociManifest)
            session.snapshots += try ensureSnapshots(manifest: manifest, config: config)
            let chain = Digest.chainIDs(diffIDs: config.rootfs.diffIDs)
            sizes[stored.digest] = chain.reduce(0) { $0 + (snapshots.metadata($1)?.size ?? 0) }
            loaded.append(LoadedImage(manifestDigest: stored.digest, configDigest: manifest.config.digest,
                                      tags: Array(Set(names)).sorted()))
        }
        let now = rfc3339Now()
        try updateRecords { records in
            for image in loaded {
                if records.images[image.manifestDigest.description] == nil {
                    records.images[image.manifestDigest.description] = ImageRecords.Record(
                        config: image.configDigest, size: sizes[image.manifestDigest] ?? 0, loaded: now)
                }
                for tag in image.tags { records.tags[tag] = image.manifestDigest }
            }
        }
        session.commit()
        return loaded
    }

    /// Follows a manifest descriptor (through nested indexes for this platform).
    private func resolveManifest(_ d: Descriptor, _ archive: ArchiveFiles, depth: Int = 0) throws -> ([UInt8], Manifest)? {
        let bytes = try archive.bytes(d.digest, content: content)
        if MediaType.isIndex(d.mediaType) {
            guard depth < 4 else { throw ImageStoreError.corruptArchive("image indexes nested too deeply") }
            let nested = try ImageIndex.decode(bytes)
            guard let m = nested.manifest(for: .current) else { return nil }
            return try resolveManifest(m, archive, depth: depth + 1)
        }
        guard MediaType.isManifest(d.mediaType) else { return nil }
        return (bytes, try Manifest.decode(bytes))
    }

    /// An archive member name, cleaned (`./a//b` → `a/b`); nil for the root.
    func archivePath(_ name: String) -> String? {
        var parts: [Substring] = []
        for p in name.split(separator: "/") where p != "." {
            if p == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(p) }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    func resolveArchiveLink(from path: String, _ target: String) -> String {
        if target.hasPrefix("/") { return archivePath(target) ?? target }
        let dir = path.split(separator: "/").dropLast().joined(separator: "/")
        return archivePath(dir.isEmpty ? target : dir + "/" + target) ?? target
    }
}

/// `manifest.json` of a `docker save` archive.
struct DockerArchiveEntry: Codable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

enum ArchiveFile {
    case blob(Digest, Int64, [UInt8]?)
    case link(String)
}

/// The regular files of a loaded archive, by path.
struct ArchiveFiles {
    var files: [String: ArchiveFile]

    func resolve(_ path: String, depth: Int = 0) -> (Digest, Int64, [UInt8]?)? {
        let clean = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        switch files[clean] {
        case let .blob(d, s, b): return (d, s, b)
        case let .link(target): return depth < 16 ? resolve(target, depth: depth + 1) : nil
        case nil: return nil
        }
    }

    func digest(_ path: String) -> Digest? { resolve(path)?.0 }
    func size(_ path: String) -> Int64? { resolve(path)?.1 }

    /// A small JSON document of the archive (manifest.json, index.json).
    func document(_ path: String) throws -> [UInt8]? {
        guard let (_, _, bytes) = resolve(path) else { return nil }
        guard let bytes else { throw ImageStoreError.corruptArchive("\(path) is too large") }
        return bytes
    }

    /// The bytes of a blob by digest, from memory or the content store.
    func bytes(_ digest: Digest, content: ContentStore) throws -> [UInt8] {
        for case let .blob(d, _, b?) in files.values where d == digest { return b }
        return try content.read(digest)
    }
}

/// Tracks what one load/import added, so a failure can remove it again.
struct IngestSession {
    let store: ImageStore
    var createdBlobs: Set<Digest> = []
    var kept: Set<Digest> = []
    var snapshots: [Digest] = []
    private var committed = false

    init(store: ImageStore) { self.store = store }

    mutating func ingest(expected: Digest?, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> ContentStore.Ingested {
        let r = try store.content.ingest(expected: expected, produce)
        if r.created { createdBlobs.insert(r.digest) }
        return r
    }

    mutating func put(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let existed = store.content.contains(Digest.sha256(of: bytes))
        let d = try store.content.put(bytes, mediaType: mediaType)
        if !existed { createdBlobs.insert(d.digest) }
        kept.insert(d.digest)
        return d
    }

    mutating func keep(_ archive: ArchiveFiles, _ path: String) throws {
        if let d = archive.digest(path) { try keepDigest(d) }
        // Small files were ingested too (every regular file is), so nothing else to do.
    }

    mutating func keepDigest(_ d: Digest) throws { kept.insert(d) }

    mutating func commit() {
        committed = true
        // Archive members that no image references (index.json, manifest.json, …).
        for d in createdBlobs.subtracting(kept) { try? store.content.remove(d) }
    }

    /// Removes what this session created and no record references.
    func rollback() {
        guard !committed else { return }
        for s in snapshots.reversed() { try? store.snapshots.remove(s) }
        let referenced = (try? store.referencedBlobs()) ?? []
        for d in createdBlobs where !referenced.contains(d) { try? store.content.remove(d) }
    }
}

/// Replays peeked bytes, then continues with the inner source.
final class PeekableSource: ByteSource {
    let inner: any ByteSource
    var buffered: [UInt8] = []

    init(_ inner: any ByteSource) { self.inner = inner }

    func peek(_ n: Int) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: n)
        while buffered.count < n {
            let r = try chunk.withUnsafeMutableBytes { try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(n - buffered.count)])) }
            if r == 0 { break }
            buffered += chunk[0..<r]
        }
        return buffered
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !buffered.isEmpty {
            let n = min(buffer.count, buffered.count)
            buffered.withUnsafeBytes { src in
                if let from = src.baseAddress { buffer.baseAddress?.copyMemory(from: from, byteCount: n) }
            }
            buffered.removeFirst(n)
            return n
        }
        return try inner.read(into: buffer)
    }
}

