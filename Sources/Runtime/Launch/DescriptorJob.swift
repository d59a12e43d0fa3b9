import CRuntime
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Something a start hands its child as a descriptor, made ahead of the
/// clone, usually on a thread of its own (CRuntime's `brt_job`) so that it
/// overlaps the caller's other preparation. Used once: `finish` or
/// `discard`; nil from `finish` means the child does that part itself, as
/// it would without the job.
public final class DescriptorJob {
    private var job: OpaquePointer?
    private var made: OwnedDescriptor?

    private init(job: OpaquePointer?, made: OwnedDescriptor? = nil) {
        self.job = job
        self.made = made
    }

    /// The container's root overlay as a detached mount (fsopen, fsconfig,
    /// fsmount), for the child to attach where it would have mounted it:
    /// overlayfs's set-up (its work directory and feature probes, new
    /// inodes on the upper filesystem) is then done before the start, not
    /// during it. Nothing (the child mounts it itself, and reports any
    /// error as before) for a plain directory, for lower dirs relative to
    /// a directory, and whenever the kernel refuses (no new mount API, an
    /// option it does not know such as `volatile` before 5.10, a bad path).
    /// `threaded`: on a thread of its own; otherwise made here and now.
    static func overlay(_ rootfs: Rootfs, threaded: Bool = true) -> DescriptorJob {
        guard let data = rootfs.overlayData, rootfs.overlayDirectory == nil else { return DescriptorJob(job: nil) }
        if threaded { return DescriptorJob(job: brt_overlay_fsmount_begin(data)) }
        let fd = brt_overlay_fsmount(data)
        return DescriptorJob(job: nil, made: fd >= 0 ? OwnedDescriptor(fd) : nil)
    }

    /// A new network namespace with `lo` up, for a child that would
    /// otherwise create it with its clone (CLONE_NEWNET, ~0.5–0.7 ms of
    /// kernel work between the attach and the child); it joins this one.
    /// Nothing (the clone creates it) when no thread can be started or the
    /// kernel refuses.
    public static func networkNamespace() -> DescriptorJob {
        DescriptorJob(job: brt_netns_begin())
    }

    /// Waits for it: the descriptor, or nil.
    public func finish() -> OwnedDescriptor? {
        if let made {
            self.made = nil
            return made
        }
        guard let j = job else { return nil }
        job = nil
        let fd = brt_job_end(j)
        return fd >= 0 ? OwnedDescriptor(fd) : nil
    }

    /// Waits for it and drops what it made (nothing of it stays).
    public func discard() { finish()?.close() }

    deinit { discard() }
}
