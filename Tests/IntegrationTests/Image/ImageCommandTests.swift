import BerthTestSupport
import Foundation
import ImageStore
import OCI
import Testing

/// import/load/save/tag/rmi/prune/GC through the real `berth` binary.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"))
struct ImageCommandTests {
    @Test func importSaveLoadRoundTrip() async throws {
        try await withTestRoot { t in
            let busybox = try ImageFixtures.busybox()
            var r = try t.berth("import", "--change", "ENV GREETING=hi", "--change", "EXPOSE 8080", busybox, "busybox:latest")
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hasPrefix("sha256:"))
            r = try t.berth("images")
            #expect(r.stdout.hasPrefix("REPOSITORY   TAG       IMAGE ID       CREATED"))
            #expect(r.stdout.contains("busybox      latest    \(id.dropFirst(7).prefix(12))"))
            #expect(try t.berth("tag", "busybox", "localhost:5000/tools/bb:v1").status == 0)
            r = try t.berth("images", "localhost:5000/tools/bb", "--format", "json")
            #expect(r.stdout.contains(#""Repository":"localhost:5000/tools/bb""#) && r.stdout.contains(#""Tag":"v1""#))
            #expect(!r.stdout.contains(#""Repository":"busybox""#))
            r = try t.berth("image", "inspect", "busybox")
            #expect(r.stdout.contains("\"GREETING=hi\"") && r.stdout.contains("\"8080/tcp\""))
            #expect(r.stdout.contains("\"Cmd\"") && r.stdout.contains("\"/bin/sh\""))

            let archive = t.directory.appendingPathComponent("save.tar").path
            r = try t.berth("save", "-o", archive, "busybox", "localhost:5000/tools/bb:v1")
            #expect(r.status == 0, "\(r.stderr)")

            // Load into a second, empty root: same image ID and tags.
            var env = t.environment
            env["BERTH_ROOT"] = t.directory.appendingPathComponent("root2").path
            r = try runProcess(Repository.berthExecutable, ["load", "-i", archive], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Loaded image: busybox:latest"))
            #expect(r.stdout.contains("Loaded image: localhost:5000/tools/bb:v1"))
            r = try runProcess(Repository.berthExecutable, ["images", "-q", "--no-trunc"], environment: env)
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id)
            // stdin form, and the image group form.
            r = try runProcess(Repository.berthExecutable, ["image", "load"], environment: env,
                               stdin: FileManager.default.contents(atPath: archive))
            #expect(r.status == 0, "\(r.stderr)")
            r = try runProcess(Repository.berthExecutable, ["image", "ls", "-q"], environment: env)
            #expect(r.stdout.split(separator: "\n").count == 1)
        }
    }

    @Test func rmiRefusesAnImageInUseUnlessForced() async throws {
        try await withTestRoot { t in
            #expect(try t.berth("import", try ImageFixtures.busybox(), "busybox").status == 0)
            #expect(try t.berth("tag", "busybox", "other:1").status == 0)
            // Untagging one of two tags is always allowed.
            var r = try t.berth("rmi", "other:1")
            #expect(r.status == 0 && r.stdout == "Untagged: other:1\n", "\(r.stdout)\(r.stderr)")
            // A container record makes the image in use.
            let c = t.root.appendingPathComponent("containers/web-1")
            try FileManager.default.createDirectory(at: c, withIntermediateDirectories: true)
            let id = try t.berth("images", "-q", "--no-trunc").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try Data(#"{"name":"web-1","image":"busybox:latest","imageDigest":"\#(id)"}"#.utf8)
                .write(to: c.appendingPathComponent("config.json"))
            r = try t.berth("rmi", "busybox")
            #expect(r.status == 1)
            #expect(r.stderr.contains("image is in use by container web-1"), "\(r.stderr)")
            #expect(try t.berth("images", "-q").stdout.split(separator: "\n").count == 1)
            // -f untags but keeps the content the container needs.
            r = try t.berth("rmi", "-f", "busybox")
            #expect(r.status == 0 && r.stdout.contains("Untagged: busybox:latest") && !r.stdout.contains("Deleted"))
            #expect(!ImageFixtures.storeEntries(t).filter { $0.hasPrefix("snapshots/") }.isEmpty)
            // The container's recorded image ID keeps the now untagged image alive through prune -a.
            #expect(try t.berth("image", "prune", "-a").status == 0)
            #expect(try t.berth("images", "-q", "--no-trunc").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id)
            try FileManager.default.removeItem(at: c)
            #expect(try t.berth("image", "prune", "-a").stdout.contains("Deleted: \(id)"))
            #expect(ImageFixtures.storeEntries(t).isEmpty)
            // Unknown image.
            r = try t.berth("rmi", "nope:1")
            #expect(r.status == 1 && r.stderr.contains("No such image: nope:1"))
        }
    }

    @Test func configResolvesImageDigestsFromTheStore() async throws {
        try await withTestRoot { t in
            #expect(try t.berth("import", try ImageFixtures.busybox(), "busybox:latest").status == 0)
            let inspect = try t.berth("image", "inspect", "busybox").stdout
            guard let range = inspect.range(of: #""ManifestDigest" *: *"sha256:[0-9a-f]{64}""#, options: .regularExpression) else {
                Issue.record("no ManifestDigest in \(inspect)")
                return
            }
            let digest = String(inspect[range].suffix(72).dropLast())
            let project = t.directory.appendingPathComponent("pin")
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            let file = project.appendingPathComponent("compose.yaml")
            try Data("services:\n  a:\n    image: busybox\n  b:\n    image: busybox@\(digest)\n  c:\n    build: .\n".utf8).write(to: file)
            var r = try t.berth("config", "--resolve-image-digests", directory: project)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("image: busybox:latest@\(digest)\n"), "\(r.stdout)")
            #expect(r.stdout.contains("image: busybox@\(digest)\n"), "\(r.stdout)")
            // The pinned reference is one berth itself resolves to the same image.
            #expect(try t.berth("image", "inspect", "busybox:latest@\(digest)").status == 0)
            // An image that is not in the store is an error naming the service; nothing printed.
            try Data("services:\n  web:\n    image: nope:1\n".utf8).write(to: file)
            r = try t.berth("config", "--resolve-image-digests", directory: project)
            #expect(r.status == 1 && r.stdout.isEmpty)
            #expect(r.stderr.contains("service \"web\": image \"nope:1\" is not in berth's image store"), "\(r.stderr)")
        }
    }

    @Test func rmiAndPruneCollectGarbage() async throws {
        try await withTestRoot { t in
            let busybox = try ImageFixtures.busybox()
            #expect(try t.berth("import", busybox, "a:1").status == 0)
            var l = ImageTarBuilder()
            l.file("hello", "world")
            #expect(try t.berth("import", ImageFixtures.write(l.finished(), "small.tar", in: t), "b:1").status == 0)
            // Re-import under the same tag: the old image becomes dangling.
            l.file("more", "x")
            #expect(try t.berth("import", ImageFixtures.write(l.finished(), "small2.tar", in: t), "b:1").status == 0)
            var r = try t.berth("images")
            #expect(r.stdout.contains("<none>       <none>"), "\(r.stdout)")
            r = try t.berth("image", "prune")
            #expect(r.status == 0 && r.stdout.contains("Deleted Images:") && r.stdout.contains("Total reclaimed space:"))
            #expect(try t.berth("images", "-q").stdout.split(separator: "\n").count == 2)
            r = try t.berth("rmi", "a:1")
            #expect(r.stdout.contains("Untagged: a:1") && r.stdout.contains("Deleted: sha256:"))
            r = try t.berth("system", "df")
            #expect(r.stdout.hasPrefix("TYPE") && r.stdout.contains("Images          1"), "\(r.stdout)")
            r = try t.berth("image", "prune", "-a")
            #expect(r.status == 0)
            #expect(ImageFixtures.storeEntries(t).isEmpty, "\(ImageFixtures.storeEntries(t))")
        }
    }

    @Test func concurrentLoadsOfTheSameImage() async throws {
        try await withTestRoot { t in
            var layers: [[UInt8]] = []
            for i in 0..<3 {
                var l = ImageTarBuilder()
                for j in 0..<50 { l.file("layer\(i)/f\(j)", String(repeating: "\(i)\(j)", count: 200)) }
                layers.append(l.finished())
            }
            let archive = try ImageFixtures.write(ImageFixtures.dockerArchive(layers: layers, tags: ["multi:1"]), "m.tar", in: t)
            let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
                for _ in 0..<4 { group.addTask { try t.berth("load", "-i", archive) } }
                var all: [CommandResult] = []
                for try await r in group { all.append(r) }
                return all
            }
            for r in results { #expect(r.status == 0, "\(r.stderr)") }
            #expect(try t.berth("images", "-q").stdout.split(separator: "\n").count == 1)
            let snapshots = ImageFixtures.storeEntries(t).filter { $0.hasPrefix("snapshots/") }
            #expect(snapshots.count == 3, "\(snapshots)")
            #expect(!ImageFixtures.storeEntries(t).contains { $0.contains("tmp-") || $0.hasPrefix("content/ingest/") })
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let dirs = try store.snapshotDirectories(for: store.image("multi:1"))
            #expect(FileManager.default.fileExists(atPath: dirs[2] + "/layer2/f49"))
        }
    }

    @Test func diskFullIsAClearErrorAndChangesNothing() async throws {
        try await withTestRoot { t in
            // A 3 MB tmpfs as the state root: the 2 MB busybox layer fits once
            // in the content store but not again as a snapshot.
            let small = t.directory.appendingPathComponent("small")
            try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
            #expect(mount("tmpfs", small.path, "tmpfs", 0, "size=3m") == 0)
            t.defer_("umount small") { _ = umount2(small.path, 0) }
            var env = t.environment
            env["BERTH_ROOT"] = small.path
            let r = try runProcess(Repository.berthExecutable, ["import", try ImageFixtures.busybox(), "busybox"], environment: env)
            #expect(r.status == 1)
            #expect(r.stderr.contains("ENOSPC"), "\(r.stderr)")
            let images = try runProcess(Repository.berthExecutable, ["images", "-q"], environment: env)
            #expect(images.stdout.isEmpty)
            for sub in ["content/blobs/sha256", "content/ingest"] {
                let dir = small.appendingPathComponent(sub).path
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).isEmpty, "\(sub)")
            }
            let snaps = (try? FileManager.default.contentsOfDirectory(atPath: small.appendingPathComponent("snapshots").path)) ?? []
            #expect(snaps.filter { $0 != "l" }.isEmpty, "\(snaps)")
        }
    }

    @Test(arguments: ["gzip", "zstd"])
    func importsCompressedRootfsTarballs(_ tool: String) async throws {
        try await withTestRoot { t in
            let busybox = try ImageFixtures.busybox()
            let compressed = t.directory.appendingPathComponent("rootfs.tar.\(tool)").path
            let r0 = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "\(tool) -c < \(busybox) > \(compressed)"])
            #expect(r0.status == 0, "\(r0.stderr)")
            let r = try t.berth("import", compressed, "bb:\(tool)")
            #expect(r.status == 0, "\(r.stderr)")
            let inspect = try t.berth("image", "inspect", "bb:\(tool)").stdout
            // The diff ID is the digest of the uncompressed tar, whatever the compression.
            let plain = Digest.sha256(of: Array(try Data(contentsOf: URL(fileURLWithPath: busybox))))
            #expect(inspect.contains(plain.description), "\(inspect)")
        }
    }
}
