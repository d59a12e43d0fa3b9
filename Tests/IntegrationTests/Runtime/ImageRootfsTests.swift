import BerthTestSupport
import Diagnostics
import Foundation
import ImageStore
import OCI
import Runtime
import SystemCalls
import Testing

extension RuntimeIntegrationTests {
    /// The image store's busybox image as an overlay root (short relative
    /// lower dirs mounted from the snapshots directory), its config through
    /// `LaunchPlan.make`, and a user resolved from the image's own passwd.
    @Test(.requiresKernel("overlay"), .requiresTool("/bin/bash"))
    func runsAnImageFromTheStoreOnOverlay() async throws {
        try await withTestRoot { t in
            let store = ImageStore(paths: StatePaths(root: t.root.path, run: t.run.path))
            let tarball = try ImageFixtures.busybox()
            let fd = try Sys.open(tarball, O_RDONLY)
            _ = try store.importRootfs(fd: fd.raw, source: tarball, reference: "bb:rt", changes: ["CMD [\"sh\"]"])
            let image = try store.image("bb:rt")
            let layout = try store.rootfsLayout(for: image)
            let base = t.run.appendingPathComponent("c1").path
            for d in ["upper", "work", "rootfs"] { try Sys.mkdirAll("\(base)/\(d)") }
            let (dir, options) = store.overlayMountOptions(lowerDirs: layout.lowerDirs, upper: "\(base)/upper", work: "\(base)/work")
            let rootfs = Rootfs(overlayAt: "\(base)/rootfs", options: options, directory: dir)
            let c = image.config.config
            let imageConfig = ImageProcessConfig(entrypoint: c?.entrypoint, cmd: c?.cmd, env: c?.env ?? [],
                                                 workingDir: c?.workingDir, user: c?.user, stopSignal: c?.stopSignal)
            // Users come from the image's layers (read inside the root, never the host's files).
            let users = try UserDatabase.load(rootfs: layout.lowerDirs[0])
            var o = ContainerOverrides()
            o.command = .shell("id -u; echo $HOME; echo hi > /tmp/x; cat /tmp/x")
            o.user = users.users.contains { $0.name == "nobody" } ? "nobody" : "65534"
            o.cgroupName = "\(t.prefix)-img"
            o.hostname = "img"
            let plan = try LaunchPlan.make(imageConfig: imageConfig, overrides: o, rootfs: rootfs, users: users)
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.hasPrefix("65534\n"), "\(r.stdout)")
            #expect(r.stdout.hasSuffix("hi\n"))
            #expect(FileManager.default.fileExists(atPath: "\(base)/upper/tmp/x"), "writes land in the container's upper dir")
            #expect(Harness.mounts(containing: base).isEmpty, "the overlay lived in the container's mount namespace")
        }
    }
}
