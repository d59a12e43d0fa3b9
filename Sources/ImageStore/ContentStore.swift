import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Blobs addressed by digest under `<root>/content/blobs/sha256/<hex>`.
/// Writes go to a private temp file in `<root>/content/ingest`, are hashed
/// as they stream, fsynced, verified, and renamed into place, so a reader
/// never sees a partial blob and concurrent writers of one blob are safe
/// (both renames install identical bytes).
public struct ContentStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    var blobDirectory: String { "\(directory)/blobs/sha256" }
    var ingestDirectory: String { "\(directory)/ingest" }

    /// The path of a blob (whether or not it exists).
    public func path(of digest: Digest) -> String { "\(blobDirectory)/\(digest.encoded)" }

    public func contains(_ digest: Digest) -> Bool { StateFS.exists(path(of: digest)) }

    /// The size of a stored blob, or nil.
    public func size(of digest: Digest) -> Int64? {
        var st = stat()
        return stat(path(of: digest), &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Every stored blob.
    public func digests() -> [Digest] {
        StateFS.list(blobDirectory).compactMap { try? Digest(sha256Hex: $0) }
    }

    /// Stores `bytes`; returns its descriptor.
    @discardableResult
    public func put(_ bytes: [UInt8], mediaType: String, expected: Digest? = nil) throws -> Descriptor {
        let r = try ingest(expected: expected) { write in
            try bytes.withUnsafeBytes { try write($0) }
        }
        return Descriptor(mediaType: mediaType, digest: r.digest, size: r.size)
    }

    /// The result of storing a stream.
    public struct Ingested: Sendable {
        public var digest: Digest
        public var size: Int64
        /// False when the blob was already present.
        public var created: Bool
    }

    /// Streams content into the store: `produce` calls `write` with chunks.
    /// Verifies against `expected` when given; on mismatch nothing is stored.
    func ingest(expected: Digest? = nil,
                _ produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Ingested {
        try StateFS.makeDirectories(ingestDirectory)
        try StateFS.makeDirectories(blobDirectory)
        let temp = "\(ingestDirectory)/\(randomHex(12))"
        var hasher = DigestHasher()
        do {
            let file = try StoreFile.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            try produce { chunk in
                hasher.update(chunk)
                try file.write(chunk)
            }
            let digest = hasher.finalize()
            if let expected, expected != digest {
                throw ImageStoreError.digestMismatch(what: "blob", expected: expected, actual: digest)
            }
            let final = path(of: digest)
            if StateFS.exists(final) {
                unlink(temp)
                return Ingested(digest: digest, size: hasher.count, created: false)
            }
            try file.sync()
            if rename(temp, final) != 0 { throw SystemError.current("rename", "\(temp) to \(final)") }
            try StateFS.syncDirectory(blobDirectory)
            return Ingested(digest: digest, size: hasher.count, created: true)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Reads a (small) blob whole and verifies its digest.
    public func read(_ digest: Digest, limit: Int = 64 << 20) throws -> [UInt8] {
        let p = path(of: digest)
        guard StateFS.exists(p) else { throw ImageStoreError.missingBlob(digest) }
        let bytes = try StateFS.read(p, limit: limit)
        let actual = Digest.sha256(of: bytes)
        if actual != digest { throw ImageStoreError.digestMismatch(what: "stored blob", expected: digest, actual: actual) }
        return bytes
    }

    /// Opens a blob for streaming; the caller verifies with a HashingSource.
    func open(_ digest: Digest) throws -> StoreFile {
        let p = path(of: digest)
        guard StateFS.exists(p) else { throw ImageStoreError.missingBlob(digest) }
        return try StoreFile.open(p, O_RDONLY)
    }

    /// Deletes a blob (GC).
    func remove(_ digest: Digest) throws {
        if unlink(path(of: digest)) != 0 && errno != ENOENT { throw SystemError.current("unlink", path(of: digest)) }
    }

    /// Deletes leftovers of interrupted writes; call only with the GC lock held exclusively.
    func removeIngestLeftovers() throws {
        for name in StateFS.list(ingestDirectory) { try StateFS.removeTree("\(ingestDirectory)/\(name)") }
    }
}
