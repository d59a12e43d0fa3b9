import CRuntime
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Why a copy with a container that is not running could not be set up.
public struct ContainerCopyError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ContainerCopy {
    /// `berth cp` with a created or exited container: its root is put
    /// together as it would be at start — the overlay of image layers and
    /// the container's own layer (or its plain root directory), with its
    /// volumes and bind mounts on top (read-only ones read-only) — in a
    /// private mount namespace of the calling thread, and `body` copies
    /// relative to it with the same RESOLVE_IN_ROOT rules as for a running
    /// container. Nothing is mounted in the host's namespace, so nothing can
    /// leak: the mounts are detached when `body` returns and die with the
    /// thread at the latest. The container's lock is held meanwhile, so a
    /// concurrent `start` waits instead of mounting the same layer twice.
    ///
    /// The calling thread stays in that namespace afterwards (where the host's
    /// mounts still appear); call this from a short-lived command.
    public static func withStoppedContainer<R>(_ record: ContainerRecord, store: ContainerStore, archive: Bool = false,
                                               _ body: (ContainerCopy) throws -> R) throws -> R {
        try store.withRecordLock(id: record.id) {
            let state = try store.state(id: record.id)
            if state.isActive && ProcessIdentity.isAlive(pid: state.pid, startTime: state.pidStart) {
                throw ContainerCopyError("\(record.name) started while copying; try again")
            }
            try PrivateMountNamespace.enter()
            let mountPoint = record.rootfs
            try mountRoot(record, at: mountPoint)
            defer { _ = brt_umount(mountPoint, Int32(MNT_DETACH)) }
            let root = try Sys.open(mountPoint, O_RDONLY | O_DIRECTORY)
            try mountVolumes(record, in: root.raw)
            return try body(ContainerCopy(root: root, archive: archive))
        }
    }

    /// The overlay (or the plain directory, bound onto itself) at `mountPoint`.
    private static func mountRoot(_ record: ContainerRecord, at mountPoint: String) throws {
        let readOnly: UInt = record.host.readOnlyRootfs ? UInt(MS_RDONLY) : 0
        guard let ov = record.overlay else {
            if brt_mount(mountPoint, mountPoint, nil, UInt(MS_BIND | MS_REC), nil) != 0 {
                throw SystemError.current("mount MS_BIND|MS_REC", mountPoint)
            }
            if readOnly != 0, brt_mount(nil, mountPoint, nil, UInt(MS_REMOUNT | MS_BIND) | readOnly, nil) != 0 {
                throw SystemError.current("mount MS_REMOUNT|MS_BIND|MS_RDONLY", mountPoint)
            }
            return
        }
        // A container never started has no layer directories yet (start makes them).
        try ov.prepareDirectories(mountPoint: mountPoint)
        let rootfs = Rootfs(overlayAt: mountPoint, lowerDirs: ov.lowerDirs, upperDir: ov.upperDir, workDir: ov.workDir)
        guard let data = rootfs.overlayData else { return }
        if data.utf8.count > 4095 {
            throw SystemError("mount overlay (options are \(data.utf8.count) bytes, over one page)", mountPoint, errno: E2BIG)
        }
        if brt_mount("overlay", mountPoint, "overlay", readOnly, data) != 0 {
            throw SystemError.current("mount overlay", mountPoint)
        }
    }

    /// The record's bind mounts and volumes whose target exists in the root
    /// (parents first). tmpfs mounts are left out: what is copied there
    /// would not survive a start anyway; their targets stay plain
    /// directories of the container's layer.
    private static func mountVolumes(_ record: ContainerRecord, in root: Int32) throws {
        let binds = record.host.mounts.filter { $0.type != "tmpfs" && !$0.hostPath.isEmpty }
            .sorted { $0.destination.split(separator: "/").count < $1.destination.split(separator: "/").count }
        for m in binds {
            guard let target = try? Sys.openat2(root, m.destination, Sys.oPath | O_CLOEXEC, resolve: [.inRoot, .noMagicLinks]) else {
                continue   // created at start; nothing of the container is there yet
            }
            let at = "/proc/self/fd/\(target.raw)"
            if brt_mount(m.hostPath, at, nil, UInt(MS_BIND | MS_REC), nil) != 0 {
                throw SystemError.current("mount MS_BIND|MS_REC \(m.hostPath)", m.destination)
            }
            guard m.readOnly else { continue }
            // The new mount is on top of the target: open it again to remount it.
            let top = try Sys.openat2(root, m.destination, Sys.oPath | O_CLOEXEC, resolve: [.inRoot, .noMagicLinks])
            if brt_mount(nil, "/proc/self/fd/\(top.raw)", nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil) != 0 {
                throw SystemError.current("mount MS_REMOUNT|MS_BIND|MS_RDONLY", m.destination)
            }
        }
    }
}

/// The calling thread's private mount namespace, entered once per process.
enum PrivateMountNamespace {
    private static let entered = LockedBox<pthread_t?>(nil)

    static func enter() throws {
        // Per thread: remember which thread moved.
        let me = pthread_self()
        if let moved = entered.value, pthread_equal(moved, me) != 0 { return }
        if brt_private_mount_ns() != 0 { throw SystemError.current("unshare CLONE_NEWNS", "berth cp mount namespace") }
        entered.value = me
    }
}
