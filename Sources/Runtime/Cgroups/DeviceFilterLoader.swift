import Diagnostics
import EBPF
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Loads `DeviceFilter` programs into the kernel and attaches them to a
/// cgroup v2 directory (bpf(2) through EBPF's `BPFKernel`).
///
/// Lifetime: the descriptors are closed as soon as the program is attached;
/// the cgroup then holds the only reference, and removing the cgroup
/// (`Cgroup.destroy`) frees the program. Nothing stays open in berth.
public enum DeviceFilterLoader {
    /// Loads the program for `rules` and attaches it to the cgroup directory
    /// `path` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI).
    public static func attach(_ rules: [DeviceRule], toCgroup path: String) throws {
        let program = try DeviceFilter.program(for: rules)
        let cgroup = try Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // The program calls no GPL-only helper; the license string is informative.
        let prog = OwnedDescriptor(try BPFKernel.load(program, for: .device, name: "berth_devices",
                                                      license: "Apache-2.0", "device filter for \(path)"))
        try BPFKernel.attach(program: prog.raw, cgroup: cgroup.raw, .device, path)
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
