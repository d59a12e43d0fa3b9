import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// Writes `docker save`-compatible tar to `fd` that also is an OCI image
    /// layout (as Docker 25+ does): `blobs/sha256/…`, `index.json`,
    /// `oci-layout` and `manifest.json`. Every blob is verified as it is copied.
    public func save(_ references: [String], to fd: Int32) throws {
        let records = try readRecords()
        var images: [(StoredImage, [ImageReference])] = []
        for r in references {
            guard let (m, shown) = try resolve(r, in: records) else { throw ImageStoreError.unknownImage(r) }
            let image = try stored(m, reference: shown, records: records)
            let tag = (try? ImageReference.parse(shown)).flatMap { $0.tag != nil && records.tags[shown] != nil ? $0 : nil }
            if let i = images.firstIndex(where: { $0.0.manifestDigest == m }) {
                if let tag { images[i].1.append(tag) }
            } else {
                images.append((image, tag.map { [$0] } ?? []))
            }
        }
        let out = StoreFile(fd: dup(fd), path: "output")
        let tar = TarWriter { try out.write($0) }
        try tar.directory("blobs")
        try tar.directory("blobs/sha256")
        var written: Set<Digest> = []
        for (image, _) in images {
            for d in [image.manifestDigest, image.configDigest] + image.layers.map(\.digest) where !written.contains(d) {
                written.insert(d)
                try copyBlob(d, into: tar)
            }
        }
        var index: [Descriptor] = []
        var dockerManifest: [DockerArchiveEntry] = []
        for (image, tags) in images {
            let size = content.size(of: image.manifestDigest) ?? 0
            let mediaType = image.manifest.mediaType ?? MediaType.ociManifest
            if tags.isEmpty {
                index.append(Descriptor(mediaType: mediaType, digest: image.manifestDigest, size: size))
            }
            for t in tags {
                index.append(Descriptor(mediaType: mediaType, digest: image.manifestDigest, size: size, annotations: [
                    Annotation.containerdImageName: t.description,
                    Annotation.refName: t.tag ?? ImageReference.defaultTag,
                ]))
            }
            dockerManifest.append(DockerArchiveEntry(
                config: "blobs/sha256/\(image.configDigest.encoded)",
                repoTags: tags.map(\.familiarDescription),
                layers: image.layers.map { "blobs/sha256/\($0.digest.encoded)" }))
        }
        try tar.file("index.json", ImageIndex(manifests: index).encoded())
        try tar.file("manifest.json", try encodeJSON(dockerManifest))
        try tar.file("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.finish()
    }

    private func copyBlob(_ d: Digest, into tar: TarWriter) throws {
        let file = try content.open(d)
        guard let size = content.size(of: d) else { throw ImageStoreError.missingBlob(d) }
        var hasher = DigestHasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        try tar.file("blobs/sha256/\(d.encoded)", size: size) { write in
            var left = size
            while left > 0 {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), left))]))
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(chunk)
                try write(chunk)
                left -= Int64(n)
            }
        }
        let actual = hasher.finalize()
        if actual != d { throw ImageStoreError.digestMismatch(what: "stored blob", expected: d, actual: actual) }
    }
}
