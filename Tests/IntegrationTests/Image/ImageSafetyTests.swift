import BerthTestSupport
import CUnpack
import Foundation
import ImageStore
import OCI
import Testing

/// Hand-made malicious layers: each must leave the canary tree outside the
/// store byte-identical; refused ones must fail clearly and leave the store
/// unchanged; resolvable ones must land inside the snapshot.
@Suite(.serialized, .requiresRoot)
struct ImageSafetyTests {
    struct Malicious: CustomTestStringConvertible, Sendable {
        var label: String
        /// Builds the layer; gets the canary's absolute path.
        var build: @Sendable (String) -> [UInt8]
        /// Text the error must contain; nil when the layer is accepted.
        var error: String?
        /// For accepted layers: a path inside the snapshot that must exist.
        var landsAt: (@Sendable (String) -> String)?
        var testDescription: String { label }
    }

    static let cases: [Malicious] = [
        Malicious(label: "dot-dot name", build: { _ in
            var t = ImageTarBuilder(); t.file("../../../../canary/file", "pwned"); return t.finished()
        }, error: "climbs above the layer root"),
        Malicious(label: "dot-dot after a directory", build: { _ in
            var t = ImageTarBuilder(); t.directory("a/"); t.file("a/../../../../../canary/file", "pwned"); return t.finished()
        }, error: "climbs above the layer root"),
        Malicious(label: "absolute name", build: { canary in
            var t = ImageTarBuilder(); t.file(canary + "/file", "pwned"); return t.finished()
        }, error: "absolute path names are not allowed"),
        Malicious(label: "symlink to the canary then a write through it", build: { canary in
            var t = ImageTarBuilder(); mirror(canary, &t); t.symlink("a", to: canary); t.file("a/file", "pwned"); return t.finished()
        }, error: nil, landsAt: { canary in canary + "/file" }),
        Malicious(label: "symlink a -> /etc then a/passwd", build: { _ in
            var t = ImageTarBuilder(); t.directory("etc/"); t.symlink("a", to: "/etc"); t.file("a/berth-test-passwd", "pwned")
            return t.finished()
        }, error: nil, landsAt: { _ in "/etc/berth-test-passwd" }),
        Malicious(label: "dangling symlink to a host directory then a write through it", build: { _ in
            var t = ImageTarBuilder(); t.symlink("a", to: "/etc"); t.file("a/berth-test-passwd", "pwned"); return t.finished()
        }, error: "points to a missing directory"),
        Malicious(label: "chained symlinks", build: { canary in
            var t = ImageTarBuilder()
            t.symlink("a", to: "b"); t.symlink("b", to: "c/../../../../../../.."); t.directory("c/")
            t.file("a/" + canary.dropFirst() + "/file", "pwned"); return t.finished()
        }, error: nil, landsAt: { canary in canary + "/file" }),
        Malicious(label: "relative symlink escaping through a parent symlink", build: { _ in
            var t = ImageTarBuilder()
            t.directory("canary/"); t.directory("d/"); t.symlink("d/up", to: "../../../.."); t.symlink("esc", to: "d/up/../../canary")
            t.file("esc/file", "pwned"); return t.finished()
        }, error: nil, landsAt: { _ in "/canary/file" }),
        Malicious(label: "hard link to ../../outside", build: { _ in
            var t = ImageTarBuilder(); t.hardlink("h", to: "../../../../canary/file"); return t.finished()
        }, error: "climbs above the layer root"),
        Malicious(label: "hard link through a symlink to outside", build: { canary in
            var t = ImageTarBuilder(); t.symlink("s", to: canary); t.hardlink("h", to: "s/file"); return t.finished()
        }, error: "does not exist in the layer"),
        Malicious(label: "hard link with an absolute target outside", build: { canary in
            var t = ImageTarBuilder(); t.hardlink("h", to: canary + "/file"); return t.finished()
        }, error: "does not exist in the layer"),
        Malicious(label: "whiteout naming the parent", build: { _ in
            var t = ImageTarBuilder(); t.directory("a/"); t.file("a/.wh..", ""); return t.finished()
        }, error: "whiteout does not name a file"),
        Malicious(label: "empty whiteout name", build: { _ in
            var t = ImageTarBuilder(); t.file("a/.wh.", ""); return t.finished()
        }, error: "whiteout does not name a file"),
        Malicious(label: "write into a symlinked file", build: { canary in
            var t = ImageTarBuilder(); t.symlink("f", to: canary + "/file"); t.file("f", "pwned"); return t.finished()
        }, error: nil, landsAt: { _ in "/f" }),
    ]

    @Test(arguments: cases)
    func maliciousLayerStaysInside(_ c: Malicious) async throws {
        try await withTestRoot { t in
            let canary = try ImageFixtures.makeCanary(in: t)
            let before = ImageFixtures.fingerprint(canary)
            let etcBefore = FileManager.default.fileExists(atPath: "/etc/berth-test-passwd")
            let layer = c.build(canary.path)
            let file = try ImageFixtures.write(layer, "layer.tar", in: t)
            let r = try t.berth("import", file, "evil:latest")
            #expect(ImageFixtures.fingerprint(canary) == before, "the canary outside the store changed")
            #expect(!etcBefore && !FileManager.default.fileExists(atPath: "/etc/berth-test-passwd"), "wrote into the host's /etc")
            if let error = c.error {
                #expect(r.status != 0)
                #expect(r.stderr.contains(error), "stderr: \(r.stderr)")
                #expect(r.stderr.contains("refusing unsafe entry"), "stderr: \(r.stderr)")
                #expect(ImageFixtures.storeEntries(t).isEmpty, "store changed: \(ImageFixtures.storeEntries(t))")
                #expect(try t.berth("images", "-q").stdout.isEmpty)
            } else {
                #expect(r.status == 0, "stderr: \(r.stderr)")
                let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
                let dirs = try store.snapshotDirectories(for: store.image("evil"))
                let inside = dirs[0] + (c.landsAt?(canary.path) ?? "")
                #expect(FileManager.default.fileExists(atPath: inside), "expected \(inside)")
            }
        }
    }

    @Test func earlierLayerSymlinkCannotRedirectALaterLayer() async throws {
        try await withTestRoot { t in
            let canary = try ImageFixtures.makeCanary(in: t)
            let before = ImageFixtures.fingerprint(canary)
            var l1 = ImageTarBuilder()
            mirror(canary.path, &l1)
            l1.symlink("a", to: canary.path)
            l1.symlink("up", to: "../../../../../..")
            l1.directory("usr/lib/")
            l1.symlink("lib", to: "usr/lib")
            var l2 = ImageTarBuilder()
            l2.file("a/file", "pwned")
            l2.file("up/canary/passwd", "pwned")  // "up" resolves to the image root; canary/ is created there
            l2.file("lib/libx.so", "x")
            let archive = ImageFixtures.dockerArchive(layers: [l1.finished(), l2.finished()], tags: ["layers:1"])
            let r = try t.berth("load", "-i", ImageFixtures.write(archive, "a.tar", in: t))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(ImageFixtures.fingerprint(canary) == before)
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let dirs = try store.snapshotDirectories(for: store.image("layers:1"))
            #expect(dirs.count == 2)
            // The write through the planted symlink landed in layer 2's own directory.
            #expect(FileManager.default.fileExists(atPath: dirs[1] + canary.path + "/file"))
            // usrmerge-style: lib -> usr/lib from layer 1 is followed inside the image.
            #expect(FileManager.default.fileExists(atPath: dirs[1] + "/usr/lib/libx.so"))
        }
    }

    @Test func whiteoutsAndOpaqueDirectoriesHideLowerLayers() async throws {
        try await withTestRoot { t in
            var l1 = ImageTarBuilder()
            l1.file("keep", "k"); l1.file("gone", "g"); l1.directory("opq/"); l1.file("opq/old1", "1"); l1.file("opq/old2", "2")
            l1.directory("dir/"); l1.file("dir/inner", "i")
            var l2 = ImageTarBuilder()
            l2.file(".wh.gone", ""); l2.file("opq/new", "n"); l2.file("opq/.wh..wh..opq", ""); l2.file(".wh.dir", "")
            l2.file("same", "s"); l2.file(".wh.same", "")  // a whiteout never hides its own layer's files
            let archive = ImageFixtures.dockerArchive(layers: [l1.finished(), l2.finished()], tags: ["wh:1"])
            let r = try t.berth("load", "-i", ImageFixtures.write(archive, "a.tar", in: t))
            #expect(r.status == 0, "\(r.stderr)")
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let layout = try store.rootfsLayout(for: store.image("wh:1"))
            let c = t.directory.appendingPathComponent("c")
            for d in ["upper", "work", "rootfs"] {
                try FileManager.default.createDirectory(at: c.appendingPathComponent(d), withIntermediateDirectories: true)
            }
            let target = c.appendingPathComponent("rootfs").path
            try store.mountRootfs(layout, upper: c.appendingPathComponent("upper").path,
                                  work: c.appendingPathComponent("work").path, target: target)
            t.defer_("umount") { _ = umount2(target, 0) }
            let top = try FileManager.default.contentsOfDirectory(atPath: target).sorted()
            #expect(top == ["keep", "opq", "same"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/opq") == ["new"])
        }
    }

    @Test func deepImagesMountDespiteTheOptionLengthLimit() async throws {
        try await withTestRoot { t in
            let depth = 70
            let layers = (0..<depth).map { i -> [UInt8] in
                var l = ImageTarBuilder()
                l.file("layer\(i)", "\(i)")
                if i > 0 { l.file(".wh.layer\(i - 1)", "") }  // each layer hides the one below
                l.file("keep\(i)", "k")
                return l.finished()
            }
            let archive = ImageFixtures.dockerArchive(layers: layers, tags: ["deep:1"])
            let r = try t.berth("load", "-i", ImageFixtures.write(archive, "deep.tar", in: t))
            #expect(r.status == 0, "\(r.stderr)")
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let layout = try store.rootfsLayout(for: store.image("deep:1"))
            #expect(layout.lowerDirs.count == depth)
            // Absolute lower dirs would not fit in one page; the short names do.
            #expect(layout.lowerDirs.joined(separator: ":").utf8.count > OverlayOptions.limit)
            let c = t.directory.appendingPathComponent("c")
            for d in ["upper", "work", "rootfs"] {
                try FileManager.default.createDirectory(at: c.appendingPathComponent(d), withIntermediateDirectories: true)
            }
            let target = c.appendingPathComponent("rootfs").path
            try store.mountRootfs(layout, upper: c.appendingPathComponent("upper").path,
                                  work: c.appendingPathComponent("work").path, target: target)
            t.defer_("umount") { _ = umount2(target, 0) }
            let names = Set(try FileManager.default.contentsOfDirectory(atPath: target))
            #expect(names == Set((0..<depth).map { "keep\($0)" } + ["layer\(depth - 1)"]))
        }
    }

    @Test func duplicateEntriesReplaceEarlierOnes() async throws {
        try await withTestRoot { t in
            var l = ImageTarBuilder()
            l.file("x", "first"); l.file("x", "second")
            l.directory("d/"); l.file("d/inner", "i"); l.file("d", "now a file")
            l.file("s", "file"); l.symlink("s", to: "x")
            l.directory("keep/"); l.file("keep/a", "a"); l.directory("keep/", mode: 0o700)
            let file = try ImageFixtures.write(l.finished(), "dup.tar", in: t)
            let r = try t.berth("import", file, "dup")
            #expect(r.status == 0, "\(r.stderr)")
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let fs = try store.snapshotDirectories(for: store.image("dup"))[0]
            #expect(try String(contentsOfFile: fs + "/x", encoding: .utf8) == "second")
            #expect(try String(contentsOfFile: fs + "/d", encoding: .utf8) == "now a file")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fs + "/s") == "x")
            #expect(FileManager.default.fileExists(atPath: fs + "/keep/a"))
            let mode = try FileManager.default.attributesOfItem(atPath: fs + "/keep")[.posixPermissions] as? Int
            #expect(mode == 0o700)
        }
    }

    @Test func metadataIsRestored() async throws {
        try await withTestRoot { t in
            var l = ImageTarBuilder()
            l.file("bin/tool", "#!/bin/sh\n", mode: 0o4755, uid: 1234, gid: 5678, mtime: 1_600_000_000)
            l.file("data/x", "x", format: .pax, xattrs: ["user.berth": "yes"])
            l.hardlink("bin/tool2", to: "bin/tool")
            l.fifo("run/fifo")
            l.charDevice("dev/null", major: 1, minor: 3)
            l.symlink("bin/sh", to: "tool")
            let file = try ImageFixtures.write(l.finished(), "meta.tar", in: t)
            let r = try t.berth("import", file, "meta")
            #expect(r.status == 0, "\(r.stderr)")
            let store = ImageStore(paths: .init(root: t.root.path, run: t.run.path))
            let fs = try store.snapshotDirectories(for: store.image("meta"))[0]
            var st = stat()
            #expect(lstat(fs + "/bin/tool", &st) == 0)
            #expect(st.st_mode & 0o7777 == 0o4755 && st.st_uid == 1234 && st.st_gid == 5678)
            #expect(st.st_mtim.tv_sec == 1_600_000_000)
            #expect(st.st_nlink == 2)
            #expect(lstat(fs + "/run/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
            #expect(lstat(fs + "/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0x103)
            var value = [UInt8](repeating: 0, count: 16)
            let n = getxattr(fs + "/data/x", "user.berth", &value, 16)
            #expect(n == 3 && Array(value[0..<3]) == Array("yes".utf8))
            // Importing a rootfs with /bin/sh gives an image that runs /bin/sh.
            #expect(try store.image("meta").config.runtime.cmd == ["/bin/sh"])
        }
    }

    @Test func corruptArchivesLeaveTheStoreUnchanged() async throws {
        try await withTestRoot { t in
            var l = ImageTarBuilder()
            l.file("a", "a")
            let good = ImageFixtures.dockerArchive(layers: [l.finished()], tags: ["ok:1"])
            #expect(try t.berth("load", "-i", ImageFixtures.write(good, "good.tar", in: t)).status == 0)
            let entries = ImageFixtures.storeEntries(t)
            // Truncated archive.
            let truncated = try ImageFixtures.write(Array(good.prefix(good.count / 2 + 100)), "trunc.tar", in: t)
            var r = try t.berth("load", "-i", truncated)
            #expect(r.status != 0 && r.stderr.contains("corrupt"), "\(r.stderr)")
            // A layer whose content does not match the config's diff ID.
            var other = ImageTarBuilder()
            other.file("b", "PAYLOAD-b")
            let bad = ImageFixtures.dockerArchive(layers: [other.finished()], tags: ["bad:1"])
            var tampered = bad
            if let range = tampered.firstRange(of: Array("PAYLOAD-b".utf8)) { tampered[range.upperBound - 1] = UInt8(ascii: "c") }
            r = try t.berth("load", "-i", ImageFixtures.write(tampered, "tampered.tar", in: t))
            #expect(r.status != 0 && r.stderr.contains("digest mismatch"), "\(r.stderr)")
            // Not an archive at all.
            r = try t.berth("load", "-i", ImageFixtures.write(Array("hello world".utf8), "junk.tar", in: t))
            #expect(r.status != 0)
            #expect(ImageFixtures.storeEntries(t) == entries)
            #expect(try t.berth("images", "-q").stdout.split(separator: "\n").count == 1)
        }
    }
}

/// Directories for every prefix of `path` inside a layer, so a symlink to
/// that absolute path resolves (inside the image) to an existing directory.
func mirror(_ path: String, _ t: inout ImageTarBuilder) {
    var prefix = ""
    for part in path.split(separator: "/") {
        prefix += part + "/"
        t.directory(prefix)
    }
}
