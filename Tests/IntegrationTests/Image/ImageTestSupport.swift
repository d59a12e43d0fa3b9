import BerthTestSupport
import Foundation
import OCI
import Testing

/// Helpers shared by the image integration tests.
enum ImageFixtures {
    /// A tree outside the store whose exact state every safety test checks.
    static func makeCanary(in t: TestRoot) throws -> URL {
        let dir = t.directory.appendingPathComponent("canary")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("original\n".utf8).write(to: dir.appendingPathComponent("file"))
        try Data("passwd\n".utf8).write(to: dir.appendingPathComponent("passwd"))
        try Data("nested\n".utf8).write(to: dir.appendingPathComponent("sub/nested"))
        return dir
    }

    /// Every path under `dir` (and the directory next to the root) with its type, mode and content.
    static func fingerprint(_ dir: URL) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir.path) else { return [] }
        while let rel = e.nextObject() as? String {
            let p = dir.appendingPathComponent(rel).path
            let attrs = (try? fm.attributesOfItem(atPath: p)) ?? [:]
            let type = attrs[.type] as? FileAttributeType
            var line = "\(rel) \(type?.rawValue ?? "?") \(attrs[.posixPermissions] ?? "") \(attrs[.modificationDate] ?? "")"
            if type == .typeRegular, let data = fm.contents(atPath: p) {
                line += " " + Digest.sha256(of: Array(data)).shortID
            }
            out.append(line)
        }
        return out.sorted()
    }

    /// Writes bytes to a file in the test directory.
    static func write(_ bytes: [UInt8], _ name: String, in t: TestRoot) throws -> String {
        let url = t.directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A `docker save`-style archive (pre-25 layout: `<id>/layer.tar`,
    /// `<config>.json`, `manifest.json`) of uncompressed layers.
    static func dockerArchive(layers: [[UInt8]], tags: [String], config extra: String = "") -> [UInt8] {
        let diffIDs = layers.map { Digest.sha256(of: $0) }
        let config = #"{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Cmd":["/bin/sh"]\#(extra)},"rootfs":{"type":"layers","diff_ids":[\#(diffIDs.map { "\"\($0)\"" }.joined(separator: ","))]}}"#
        let configDigest = Digest.sha256(of: Array(config.utf8))
        var t = ImageTarBuilder()
        var layerPaths: [String] = []
        for (i, layer) in layers.enumerated() {
            let id = diffIDs[i].encoded
            t.directory("\(id)/")
            t.file("\(id)/layer.tar", String(decoding: layer, as: UTF8.self))
            layerPaths.append("\(id)/layer.tar")
        }
        t.file("\(configDigest.encoded).json", config)
        let manifest = #"[{"Config":"\#(configDigest.encoded).json","RepoTags":[\#(tags.map { "\"\($0)\"" }.joined(separator: ","))],"Layers":[\#(layerPaths.map { "\"\($0)\"" }.joined(separator: ","))]}]"#
        t.file("manifest.json", manifest)
        return t.finished()
    }

    /// Entries under the store's content and snapshot directories.
    static func storeEntries(_ t: TestRoot) -> [String] {
        var out: [String] = []
        for sub in ["content/blobs/sha256", "content/ingest", "snapshots"] {
            let dir = t.root.appendingPathComponent(sub).path
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name != "l" {
                out.append("\(sub)/\(name)")
            }
        }
        return out.sorted()
    }

    static var busyboxTarball: URL { URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("berth-test-busybox-rootfs.tar") }

    /// The busybox rootfs from scripts/make-busybox-rootfs.sh (built once per run).
    static func busybox() throws -> String {
        let out = busyboxTarball
        if !FileManager.default.fileExists(atPath: out.path) {
            let r = try runProcess(URL(fileURLWithPath: "/bin/bash"),
                                   [Repository.root.appendingPathComponent("scripts/make-busybox-rootfs.sh").path, out.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        return out.path
    }
}
