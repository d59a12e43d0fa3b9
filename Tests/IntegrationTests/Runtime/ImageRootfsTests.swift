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

extension RuntimeIntegrationTests {
    /// The root overlay is made before the clone, as a detached mount the
    /// child attaches: lower and upper paths holding `,` and `:` (escaped
    /// in the options) and `volatile` reach overlayfs as mount(2) would
    /// give them; writes land in the upper directory and nothing is
    /// mounted on the host. A prepared start discarded unused leaves no
    /// mount behind, and the same layer mounts again afterwards.
    @Test(.requiresKernel("overlay"))
    func rootOverlayIsMadeAheadAndAttachedByTheChild() async throws {
        try await withTestRoot { t in
            let lower = try BusyboxRoot(in: t, name: "lower,1:a")
            let base = t.directory.appendingPathComponent("c,1:x").path
            for d in ["upper", "work", "rootfs"] { try Sys.mkdirAll("\(base)/\(d)") }
            var plan = Harness.plan("echo hi > /tmp/x; cat /tmp/x; grep -c ' / / .* overlay overlay ' /proc/self/mountinfo",
                                    root: lower, t: t)
            plan.rootfs = Rootfs(overlayAt: "\(base)/rootfs", lowerDirs: [lower.path],
                                 upperDir: "\(base)/upper", workDir: "\(base)/work")
            plan.rootfs.volatile = true

            let unused = try Launcher.prepare(plan)
            #expect(unused.overlayMadeAhead, "overlayfs took the options through fsconfig")
            unused.discard()
            #expect(Harness.mounts(containing: base).isEmpty)
            // What the monitor does before mounting a volatile layer again (see LauncherStarter.plan).
            try StateFile.removeTree("\(base)/work/work")

            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout == "hi\n1\n")
            #expect(FileManager.default.fileExists(atPath: "\(base)/upper/tmp/x"), "writes land in the upper dir")
            #expect(Harness.mounts(containing: base).isEmpty, "the overlay lived in the container's mount namespace")
        }
    }
}
