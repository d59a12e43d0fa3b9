import CBPF
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// bpf(2) for berth's cgroup programs and their maps, through CBPF. Every
/// descriptor returned is the caller's to close (the kernel makes them
/// close-on-exec); a program attached to a cgroup lives on without one.
public enum BPFKernel {
    /// Where a cgroup program hooks in (`enum bpf_attach_type`).
    public struct AttachType: Hashable, Sendable, CustomStringConvertible {
        public let raw: UInt32
        public let description: String
        /// `BPF_CGROUP_DEVICE` (program type CGROUP_DEVICE).
        public static let device = AttachType(raw: berth_bpf_attach_device, description: "device")
        /// `BPF_CGROUP_INET4_CONNECT` (program type CGROUP_SOCK_ADDR).
        public static let connect4 = AttachType(raw: berth_bpf_attach_connect4, description: "connect4")
        /// `BPF_CGROUP_INET4_GETPEERNAME` (program type CGROUP_SOCK_ADDR).
        public static let getpeername4 = AttachType(raw: berth_bpf_attach_getpeername4, description: "getpeername4")

        var programType: UInt32 { self == .device ? berth_bpf_prog_type_device : berth_bpf_prog_type_sock_addr }
    }

    /// Loads `program` for `attachType` under `name` (what `bpftool prog`
    /// shows; at most 15 bytes); a refusal's error names `what` and carries
    /// the last lines of the verifier's report.
    public static func load(_ program: [BPFInstruction], for attachType: AttachType, name: String,
                            license: String, _ what: String) throws -> Int32 {
        let code = program.flatMap(\.bytes)
        var log = [CChar](repeating: 0, count: 16 * 1024)
        let expected = attachType == .device ? 0 : attachType.raw
        let fd = berth_bpf_prog_load(attachType.programType, expected, code, UInt32(program.count), name, license,
                                     &log, UInt32(log.count))
        guard fd >= 0 else {
            let e = errno
            let verifier = string(log).split(separator: "\n").suffix(3).joined(separator: "; ")
            throw SystemError("bpf BPF_PROG_LOAD", "\(what)\(verifier.isEmpty ? "" : " (verifier: \(verifier))")", errno: e)
        }
        return fd
    }

    /// Attaches with BPF_F_ALLOW_MULTI (other programs on the cgroup stay).
    public static func attach(program: Int32, cgroup: Int32, _ type: AttachType, _ what: String) throws {
        guard berth_bpf_prog_attach(program, cgroup, type.raw) == 0 else {
            throw SystemError.current("bpf BPF_PROG_ATTACH", "\(what) (\(type))")
        }
    }

    /// Detaches; false when it was not attached (any more).
    @discardableResult
    public static func detach(program: Int32, cgroup: Int32, _ type: AttachType) -> Bool {
        berth_bpf_prog_detach(program, cgroup, type.raw) == 0
    }

    /// Ids of the programs attached to the cgroup itself (not its ancestors).
    public static func attachedIDs(cgroup: Int32, _ type: AttachType, _ what: String) throws -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        guard berth_bpf_prog_query(cgroup, type.raw, &ids, &count) == 0 else {
            throw SystemError.current("bpf BPF_PROG_QUERY", "\(what) (\(type))")
        }
        return Array(ids.prefix(Int(min(count, UInt32(ids.count)))))
    }

    /// A descriptor of the program `id`, nil once it is freed.
    public static func program(id: UInt32) -> Int32? {
        let fd = berth_bpf_prog_fd_by_id(id)
        return fd >= 0 ? fd : nil
    }

    /// Whether the program `id` is still loaded (a failure other than
    /// ENOENT counts as loaded: it was not seen gone).
    public static func programExists(id: UInt32) -> Bool {
        let fd = berth_bpf_prog_fd_by_id(id)
        if fd >= 0 { _ = close(fd); return true }
        return errno != ENOENT
    }

    /// A program's name and the ids of the maps it uses.
    public static func programInfo(_ fd: Int32) -> (name: String, mapIDs: [UInt32])? {
        var name = [CChar](repeating: 0, count: 16)
        var maps = [UInt32](repeating: 0, count: 8)
        var count = UInt32(maps.count)
        guard berth_bpf_prog_info(fd, &name, &maps, &count) == 0 else { return nil }
        return (string(name), Array(maps.prefix(Int(min(count, UInt32(maps.count))))))
    }

    /// A descriptor of the map `id` and its name, nil once it is freed.
    public static func map(id: UInt32) -> (fd: Int32, name: String)? {
        let fd = berth_bpf_map_fd_by_id(id)
        guard fd >= 0 else { return nil }
        var name = [CChar](repeating: 0, count: 16)
        guard berth_bpf_map_name(fd, &name) == 0 else {
            _ = close(fd)
            return nil
        }
        return (fd, string(name))
    }

    /// The kinds of map berth makes.
    public enum MapKind: Sendable {
        case hash, lruHash
    }

    public static func createMap(_ kind: MapKind, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32,
                                 name: String) throws -> Int32 {
        let type = kind == .hash ? berth_bpf_map_type_hash : berth_bpf_map_type_lru_hash
        let fd = berth_bpf_map_create(type, keySize, valueSize, maxEntries, name)
        guard fd >= 0 else { throw SystemError.current("bpf BPF_MAP_CREATE", name) }
        return fd
    }

    public static func update(map: Int32, key: [UInt8], value: [UInt8], _ what: String) throws {
        guard berth_bpf_map_update(map, key, value) == 0 else { throw SystemError.current("bpf BPF_MAP_UPDATE_ELEM", what) }
    }

    /// Deletes a key; one already gone is no error.
    public static func delete(map: Int32, key: [UInt8], _ what: String) throws {
        guard berth_bpf_map_delete(map, key) == 0 || errno == ENOENT else {
            throw SystemError.current("bpf BPF_MAP_DELETE_ELEM", what)
        }
    }

    public static func lookup(map: Int32, key: [UInt8], valueSize: Int) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: valueSize)
        return berth_bpf_map_lookup(map, key, &value) == 0 ? value : nil
    }

    /// Every key of a map.
    public static func keys(map: Int32, keySize: Int, _ what: String) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        var next = [UInt8](repeating: 0, count: keySize)
        var rc = berth_bpf_map_next_key(map, nil, &next)
        while rc == 0 {
            keys.append(next)
            let current = next
            rc = berth_bpf_map_next_key(map, current, &next)
        }
        guard errno == ENOENT else { throw SystemError.current("bpf BPF_MAP_GET_NEXT_KEY", what) }
        return keys
    }

    /// Whether `path` is the root of a cgroup2 mount.
    public static func isCgroup2(_ path: String) -> Bool { berth_is_cgroup2(path) == 1 }

    static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
