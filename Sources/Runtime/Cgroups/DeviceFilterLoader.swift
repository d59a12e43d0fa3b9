import Diagnostics
import EBPF
import Synchronization
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Loads `DeviceFilter` programs into the kernel and attaches them to a
/// cgroup v2 directory (bpf(2) through EBPF's `BPFKernel`).
///
/// Lifetime: the descriptors are closed as soon as the program is attached;
/// the cgroup then holds the only reference, and removing the cgroup
/// (`Cgroup.destroy`) frees the program. Nothing stays open in berth,
/// except a program `preload`ed and not attached yet, until the start
/// (`discardPreloaded`).
public enum DeviceFilterLoader {
    /// Programs loaded ahead by `preload`, by their instructions; each is
    /// taken by the first `attach` of the same program.
    private static let preloaded = Mutex<[[BPFInstruction]: Int32]>([:])

    /// Loads the program for `rules` ahead of `attach`: a monitor waiting
    /// for its record loads the default one (loading and verifying cost
    /// ≈ 0.6 ms of the start otherwise). Failures are left to `attach`.
    public static func preload(_ rules: [DeviceRule]) {
        guard let program = try? DeviceFilter.program(for: rules), let fd = try? load(program, "a cgroup") else { return }
        if let replaced = preloaded.withLock({ $0.updateValue(fd, forKey: program) }) { _ = Glibc.close(replaced) }
    }

    /// Closes the programs `preload`ed and not taken (the container's rules
    /// were not the default ones): called after a start, so a long-lived
    /// monitor holds no unattached program.
    public static func discardPreloaded() {
        let left = preloaded.withLock { p in
            let fds = Array(p.values)
            p.removeAll()
            return fds
        }
        for fd in left { _ = Glibc.close(fd) }
    }

    /// Loads the program for `rules` and attaches it to the cgroup directory
    /// `path` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI).
    public static func attach(_ rules: [DeviceRule], toCgroup path: String) throws {
        let program = try DeviceFilter.program(for: rules)
        let cgroup = try Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let ahead = preloaded.withLock { $0.removeValue(forKey: program) }
        let prog = OwnedDescriptor(try ahead ?? load(program, path))
        try BPFKernel.attach(program: prog.raw, cgroup: cgroup.raw, .device, path)
    }

    private static func load(_ program: [BPFInstruction], _ path: String) throws -> Int32 {
        // The program calls no GPL-only helper; the license string is informative.
        try BPFKernel.load(program, for: .device, name: "berth_devices", license: "Apache-2.0", "device filter for \(path)")
    }

    /// Ids of the device programs attached to the cgroup directory `path`
    /// itself (not its ancestors).
    public static func attachedPrograms(cgroup path: String) throws -> [UInt32] {
        let cgroup = try Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        return try BPFKernel.attachedIDs(cgroup: cgroup.raw, .device, path)
    }

    /// Whether the program `id` is still loaded (the kernel frees it
    /// shortly after its last cgroup is removed).
    public static func programExists(id: UInt32) -> Bool {
        BPFKernel.programExists(id: id)
    }
}
