import BerthTestSupport
import Foundation
import OCI
import Testing

/// Round trips with real peers: skopeo and umoci from Debian's packages.
@Suite(.serialized, .requiresRoot, .requiresTool("/usr/bin/skopeo"), .requiresTool("/usr/bin/umoci"))
struct ImageInteropTests {
    func tool(_ path: String, _ args: [String], in dir: URL? = nil) throws -> CommandResult {
        let r = try runProcess(URL(fileURLWithPath: path), args, directory: dir)
        #expect(r.status == 0, "\(path) \(args): \(r.stderr)")
        return r
    }

    /// The manifest digest berth reports for an image.
    func manifestDigest(_ t: TestRoot, _ image: String) throws -> String {
        let out = try t.berth("image", "inspect", image).stdout
        guard let range = out.range(of: #""ManifestDigest" *: *"sha256:[0-9a-f]{64}""#, options: .regularExpression) else { return "" }
        return String(out[range].suffix(72).dropLast())
    }

    @Test func skopeoAndUmociReadWhatBerthSaves() async throws {
        try await withTestRoot { t in
            #expect(try t.berth("import", try ImageFixtures.busybox(), "busybox:latest").status == 0)
            let saved = t.directory.appendingPathComponent("saved.tar").path
            #expect(try t.berth("save", "-o", saved, "busybox").status == 0)
            let berthDigest = try manifestDigest(t, "busybox")
            #expect(berthDigest.hasPrefix("sha256:"))

            // skopeo: berth's archive as docker-archive and as OCI, to an OCI layout.
            let oci = t.directory.appendingPathComponent("oci").path
            _ = try tool("/usr/bin/skopeo", ["copy", "-q", "docker-archive:\(saved)", "oci:\(oci):fromdocker"])
            _ = try tool("/usr/bin/skopeo", ["copy", "-q", "--preserve-digests", "oci-archive:\(saved):latest", "oci:\(oci):fromoci"])
            let index = try String(contentsOfFile: oci + "/index.json", encoding: .utf8)
            // The OCI copy keeps berth's manifest byte for byte, so the digest agrees.
            #expect(index.contains(berthDigest), "\(index)")

            // umoci unpacks the OCI layout berth wrote (extracted in place).
            let layout = t.directory.appendingPathComponent("layout")
            try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
            _ = try tool("/bin/tar", ["-xf", saved, "-C", layout.path])
            let bundle = t.directory.appendingPathComponent("bundle").path
            _ = try tool("/usr/bin/umoci", ["unpack", "--image", "\(layout.path):latest", bundle])
            #expect(FileManager.default.fileExists(atPath: bundle + "/rootfs/bin/busybox"))

            // And back: skopeo's docker-archive and OCI archive load into berth with the same layer.
            let back = t.directory.appendingPathComponent("back.tar").path
            _ = try tool("/usr/bin/skopeo", ["copy", "-q", "oci:\(oci):fromoci", "docker-archive:\(back):skopeo/busybox:1"])
            var r = try t.berth("load", "-i", back)
            #expect(r.status == 0 && r.stdout.contains("Loaded image: skopeo/busybox:1"), "\(r.stderr)")
            let ociArchive = t.directory.appendingPathComponent("back-oci.tar").path
            _ = try tool("/usr/bin/skopeo", ["copy", "-q", "--preserve-digests", "oci:\(oci):fromoci", "oci-archive:\(ociArchive):example.com/bb:2"])
            r = try t.berth("load", "-i", ociArchive)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Loaded image: example.com/bb:2"), "\(r.stdout)")
            #expect(try manifestDigest(t, "example.com/bb:2") == berthDigest)
            let layers = { (image: String) throws -> String in
                let out = try t.berth("image", "inspect", image).stdout
                return String(out[(out.range(of: "\"Layers\"")?.lowerBound ?? out.endIndex)...].prefix(90))
            }
            #expect(try layers("skopeo/busybox:1") == layers("busybox"))
        }
    }
}
