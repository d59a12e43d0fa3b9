import CRuntime
import Diagnostics
import Synchronization
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Loads `DeviceFilter` programs into the kernel and attaches them to a
/// cgroup v2 directory (bpf(2) through CRuntime).
///
/// Lifetime: the descriptors are closed as soon as the program is attached;
/// the cgroup then holds the only reference, and removing the cgroup
/// (`Cgroup.destroy`) frees the program. Nothing stays open in berth,
/// except a program `preload`ed and not attached yet (freed when the
/// process exits).
public enum DeviceFilterLoader {
    /// Programs loaded ahead by `preload`, by their instructions; each is
    /// taken by the first `attach` of the same program.
    private static let preloaded = Mutex<[[UInt8]: Int32]>([:])

    /// Loads the program for `rules` ahead of `attach`: a monitor waiting
    /// for its record loads the default one (loading and verifying cost
    /// ≈ 0.6 ms of the start otherwise). Failures are left to `attach`.
    public static func preload(_ rules: [DeviceRule]) {
        guard let program = try? DeviceFilter.bytes(DeviceFilter.program(for: rules)),
              let fd = try? load(program, for: "a cgroup"), fd.raw >= 0 else { return }
        let raw = fd.release()
        if let replaced = preloaded.withLock({ $0.updateValue(raw, forKey: program) }) { _ = Glibc.close(replaced) }
    }

    /// Loads the program for `rules` and attaches it to the cgroup directory
    /// `path` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI).
    public static func attach(_ rules: [DeviceRule], toCgroup path: String) throws {
        let program = DeviceFilter.bytes(try DeviceFilter.program(for: rules))
        let cgroup = try Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let prog: OwnedDescriptor
        if let ahead = preloaded.withLock({ $0.removeValue(forKey: program) }) {
            prog = OwnedDescriptor(ahead)
        } else {
            prog = try load(program, for: path)
        }
        if brt_bpf_attach_device_filter(cgroup.raw, prog.raw) != 0 {
            throw SystemError.current("bpf BPF_PROG_ATTACH", path)
        }
    }

    private static func load(_ program: [UInt8], for path: String) throws -> OwnedDescriptor {
        var log = [CChar](repeating: 0, count: 16 * 1024)
        let fd = program.withUnsafeBufferPointer { insns in
            log.withUnsafeMutableBufferPointer { buf in
                brt_bpf_load_device_filter(insns.baseAddress, UInt32(insns.count / 8), buf.baseAddress, UInt32(buf.count))
            }
        }
        if fd < 0 {
            let code = errno
            let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let detail = verifier.isEmpty ? "" : " (verifier: \(verifier.split(separator: "\n").suffix(3).joined(separator: "; ")))"
            throw SystemError("bpf BPF_PROG_LOAD", "device filter for \(path)\(detail)", errno: code)
        }
        return OwnedDescriptor(fd)
    }

    /// Ids of the device programs attached to the cgroup directory `path`
    /// itself (not its ancestors).
    public static func attachedPrograms(cgroup path: String) throws -> [UInt32] {
        let cgroup = try Sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        let rc = ids.withUnsafeMutableBufferPointer { brt_bpf_query_device_filters(cgroup.raw, $0.baseAddress, &count) }
        if rc != 0 { throw SystemError.current("bpf BPF_PROG_QUERY", path) }
        return Array(ids.prefix(Int(min(count, UInt32(ids.count)))))
    }

    /// Whether the program `id` is still loaded (the kernel frees it
    /// shortly after its last cgroup is removed).
    public static func programExists(id: UInt32) -> Bool {
        let fd = brt_bpf_prog_fd_by_id(id)
        if fd >= 0 { _ = Glibc.close(fd); return true }
        return errno != ENOENT
    }
}
