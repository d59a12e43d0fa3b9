import Diagnostics
import OCI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// `berth import`: a root-filesystem tarball (plain or gzip) becomes a
    /// one-layer image. `changes` are Dockerfile instructions (`CMD`, `ENV`,
    /// `WORKDIR`, `ENTRYPOINT`, `EXPOSE`, `USER`, `LABEL`, `VOLUME`,
    /// `STOPSIGNAL`) applied to the config, as `docker import --change` does.
    /// When no CMD or ENTRYPOINT is given and the tarball has `/bin/sh`, the
    /// image runs `/bin/sh` by default.
    public func importRootfs(fd: Int32, source: String, reference: String?, changes: [String],
                             message: String? = nil) throws -> LoadedImage {
        let ref = try reference.map { try ImageReference.parse($0) }
        if let ref, ref.digest != nil { throw OCIError.invalidReference(reference ?? "", "a tag cannot include a digest") }
        var runtime = ContainerConfig(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        for change in changes { try ImportChange.apply(change, to: &runtime) }

        return try withGCLock(exclusive: false) {
            var session = IngestSession(store: self)
            do {
                let input = StoreFile(fd: dup(fd), path: source)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                let blob = try session.ingest(expected: nil) { write in
                    while true {
                        let n = try input.read(into: buffer)
                        if n == 0 { break }
                        try write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    }
                }
                let diffID = try diffID(of: blob.digest)
                let file = try content.open(blob.digest)
                var magic = [UInt8](repeating: 0, count: 4)
                let n = magic.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, 4, 0) }
                let layer = Descriptor(mediaType: LayerCompression.sniff(Array(magic.prefix(max(0, n)))).ociMediaType,
                                       digest: blob.digest, size: blob.size)
                session.kept.insert(blob.digest)
                // The snapshot depends only on the diff ID, so unpack before the config is final.
                let probe = ImageConfig(rootfs: RootFS(diffIDs: [diffID]))
                let probeManifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: diffID, size: 0), layers: [layer])
                session.snapshots += try ensureSnapshots(manifest: probeManifest, config: probe)
                if runtime.cmd == nil && runtime.entrypoint == nil {
                    var st = stat()
                    if fstatat(AT_FDCWD, snapshots.path(diffID) + "/bin/sh", &st, AT_SYMLINK_NOFOLLOW) == 0 {
                        runtime.cmd = ["/bin/sh"]
                    }
                }
                let now = rfc3339Now()
                let config = ImageConfig(created: now, config: runtime, rootfs: RootFS(diffIDs: [diffID]), history: [
                    History(created: now, createdBy: "berth import \(source)", comment: message ?? "Imported from \(source)"),
                ])
                let configDescriptor = try session.put(config.encoded(), mediaType: MediaType.ociConfig)
                let manifest = Manifest(config: configDescriptor, layers: [layer])
                let manifestDescriptor = try session.put(manifest.encoded(), mediaType: MediaType.ociManifest)
                let size = snapshots.metadata(diffID)?.size ?? 0
                try updateRecords { records in
                    records.images[manifestDescriptor.digest.description] = ImageRecords.Record(
                        config: configDescriptor.digest, size: size, loaded: now)
                    if let ref { records.tags[ref.description] = manifestDescriptor.digest }
                }
                session.commit()
                return LoadedImage(manifestDigest: manifestDescriptor.digest, configDigest: configDescriptor.digest,
                                   tags: ref.map { [$0.description] } ?? [])
            } catch let e as TarFormatError {
                session.rollback()
                throw ImageStoreError.corruptArchive(e.description)
            } catch {
                session.rollback()
                throw error
            }
        }
    }

    /// The uncompressed digest of a stored layer blob.
    func diffID(of digest: Digest) throws -> Digest {
        let file = try content.open(digest)
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress, 4, 0) }
        let compression = LayerCompression.sniff(Array(magic.prefix(max(0, n))))
        if compression == .uncompressed { return digest }
        let stream = try LayerStream(file: file, compression: compression)
        do { try stream.tar.drain() } catch let e as CorruptStream {
            throw ImageStoreError.corruptLayer(digest, e.description)
        }
        return stream.tar.hasher.finalize()
    }
}

/// `--change` instructions for `import`, in Dockerfile syntax.
public enum ImportChange {
    public static func apply(_ change: String, to c: inout ContainerConfig) throws {
        let trimmed = change.drop(while: { $0 == " " || $0 == "\t" })
        let keyword = trimmed.prefix(while: { $0 != " " && $0 != "\t" }).uppercased()
        let rest = String(trimmed.dropFirst(keyword.count).drop(while: { $0 == " " || $0 == "\t" }))
        func fail(_ why: String) -> ImageStoreError { .invalidChange(change, why) }
        if rest.isEmpty { throw fail("\(keyword) needs an argument") }
        switch keyword {
        case "CMD": c.cmd = commandForm(rest)
        case "ENTRYPOINT": c.entrypoint = commandForm(rest)
        case "WORKDIR": c.workingDir = rest
        case "USER": c.user = rest
        case "STOPSIGNAL": c.stopSignal = rest
        case "ENV":
            var env = c.env ?? []
            for (k, v) in try pairs(rest, allowSpaceForm: true, fail) {
                env.removeAll { $0.hasPrefix(k + "=") }
                env.append("\(k)=\(v)")
            }
            c.env = env
        case "LABEL":
            var labels = c.labels ?? [:]
            for (k, v) in try pairs(rest, allowSpaceForm: false, fail) { labels[k] = v }
            c.labels = labels
        case "EXPOSE":
            var ports = c.exposedPorts ?? [:]
            for p in rest.split(separator: " ") {
                let parts = p.split(separator: "/")
                guard let port = parts.first, let n = Int(port), (1...65535).contains(n), parts.count <= 2 else {
                    throw fail("invalid port \"\(p)\"")
                }
                let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
                guard ["tcp", "udp", "sctp"].contains(proto) else { throw fail("invalid protocol \"\(proto)\"") }
                ports["\(n)/\(proto)"] = EmptyJSONObject()
            }
            c.exposedPorts = ports
        case "VOLUME":
            var volumes = c.volumes ?? [:]
            let list = jsonArray(rest) ?? rest.split(separator: " ").map(String.init)
            for v in list { volumes[v] = EmptyJSONObject() }
            c.volumes = volumes
        default:
            throw fail("\(keyword.isEmpty ? "empty instruction" : keyword) is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)")
        }
    }

    /// JSON (exec) form, or shell form wrapped in `/bin/sh -c`.
    static func commandForm(_ text: String) -> [String] {
        jsonArray(text) ?? ["/bin/sh", "-c", text]
    }

    static func jsonArray(_ text: String) -> [String]? {
        guard text.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// `k=v k2="v 2"`, or the legacy `k v` form (ENV only).
    static func pairs(_ text: String, allowSpaceForm: Bool, _ fail: (String) -> ImageStoreError) throws -> [(String, String)] {
        let firstWord = text.prefix(while: { $0 != " " })
        if allowSpaceForm && !firstWord.contains("=") {
            let value = text.dropFirst(firstWord.count).drop(while: { $0 == " " })
            return [(String(firstWord), String(value))]
        }
        var result: [(String, String)] = []
        var i = text.startIndex
        while i < text.endIndex {
            while i < text.endIndex && text[i] == " " { i = text.index(after: i) }
            if i == text.endIndex { break }
            var key = ""
            while i < text.endIndex && text[i] != "=" && text[i] != " " { key.append(text[i]); i = text.index(after: i) }
            guard i < text.endIndex, text[i] == "=", !key.isEmpty else { throw fail("expected KEY=VALUE") }
            i = text.index(after: i)
            var value = ""
            if i < text.endIndex && text[i] == "\"" {
                i = text.index(after: i)
                while i < text.endIndex && text[i] != "\"" {
                    if text[i] == "\\", text.index(after: i) < text.endIndex { i = text.index(after: i) }
                    value.append(text[i]); i = text.index(after: i)
                }
                guard i < text.endIndex else { throw fail("unterminated quote") }
                i = text.index(after: i)
            } else {
                while i < text.endIndex && text[i] != " " { value.append(text[i]); i = text.index(after: i) }
            }
            result.append((key, value))
        }
        return result
    }
}
