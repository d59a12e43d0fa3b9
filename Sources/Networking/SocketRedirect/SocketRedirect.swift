import CBPF
import Diagnostics
import IPAddress
#if canImport(Glibc)
import Glibc
#endif

/// Published TCP ports on the host's loopback, taken at connect() time
/// instead of per packet: two cgroup socket-address programs
/// (`RedirectPrograms`) attached to the root of the cgroup2 hierarchy point
/// a host process's connect() to 127.0.0.1:PORT straight at the container,
/// so the connection runs exactly like one to the container's own address
/// (no NAT, no conntrack, the socket's early demux), and getpeername() still
/// reports 127.0.0.1:PORT. Only the host's network namespace is affected:
/// a container's 127.0.0.1 stays its own.
///
/// berth's nftables rules for the same ports stay in place: they serve UDP,
/// IPv6, the host's other addresses, and everything whenever the programs
/// cannot be loaded (an old kernel, no cgroup2 mount).
///
/// The kernel holds all the state: programs attached with BPF_F_ALLOW_MULTI
/// stay attached after berth exits and are found again by name (each state
/// root has its own pair, named after its nftables table); their ports map is
/// found through the connect program. No pinning, no file to leak. The pair
/// goes with the root's last published port.
public struct SocketRedirect: Sendable {
    /// `brt4c`, `brt4g`, `brtp`, `brtr` + the table name's suffix
    /// (`berth` → none, `berth_1a2b3c4d` → `_1a2b3c4d`): at most 15 bytes.
    public let connectName: String, getpeernameName: String, portsName: String, reverseName: String

    public init(table: String) {
        let suffix = table.hasPrefix("berth") ? String(table.dropFirst(5).prefix(10)) : "_" + String(table.prefix(10))
        connectName = "brt4c" + suffix
        getpeernameName = "brt4g" + suffix
        portsName = "brtp" + suffix
        reverseName = "brtr" + suffix
    }

    /// Makes the kernel match `entries` (none: the programs go). Any
    /// failure removes the programs, leaving the ports to kernel NAT, and is
    /// returned; nil when the redirect is in place as asked.
    @discardableResult
    public func apply(_ entries: [RedirectEntry]) -> Error? {
        guard let cgroup = Self.openCgroup2Root() else { return entries.isEmpty ? nil : NetworkError("no cgroup2 hierarchy") }
        defer { close(cgroup) }
        do {
            try converge(entries, cgroup: cgroup)
            return nil
        } catch {
            for p in attached(cgroup: cgroup) { p.detach(cgroup: cgroup) }
            return error
        }
    }

    /// The entries in effect (empty when the programs are not attached).
    public func currentEntries() throws -> [RedirectEntry] {
        guard let cgroup = Self.openCgroup2Root() else { return [] }
        defer { close(cgroup) }
        let found = attached(cgroup: cgroup)
        defer { for p in found { close(p.fd) } }
        guard let connect = found.first(where: { $0.name == connectName }),
              let ports = mapFD(of: connect, named: portsName) else { return [] }
        defer { close(ports) }
        var out: [RedirectEntry] = []
        for key in try Self.keys(of: ports) {
            var value = [UInt8](repeating: 0, count: Int(RedirectPrograms.portsValueSize))
            guard berth_bpf_map_lookup(ports, key, &value) == 0 else { continue }
            out.append(RedirectEntry(frontend: IPv4Address(key[8], key[9], key[10], key[11]),
                                     frontendPort: UInt16(key[12]) << 8 | UInt16(key[13]),
                                     backend: IPv4Address(value[0], value[1], value[2], value[3]),
                                     backendPort: UInt16(value[4]) << 8 | UInt16(value[5])))
        }
        return out
    }

    private func converge(_ entries: [RedirectEntry], cgroup: Int32) throws {
        var found = attached(cgroup: cgroup)
        defer { for p in found { close(p.fd) } }
        if entries.isEmpty {
            for p in found { p.detach(cgroup: cgroup) }
            return
        }
        let netns = try Self.netnsCookie()
        var ports: Int32 = -1
        if found.count == 2, let connect = found.first(where: { $0.name == connectName }),
           found.contains(where: { $0.name == getpeernameName }), let fd = mapFD(of: connect, named: portsName) {
            ports = fd
        } else {
            // Nothing yet, or a pair half made or half removed (berth killed
            // in between): start again.
            for p in found { p.detach(cgroup: cgroup) }
            found = []
            ports = try attachPrograms(cgroup: cgroup)
        }
        defer { close(ports) }

        var wanted: [[UInt8]: [UInt8]] = [:]
        for e in entries { wanted[e.key(netns: netns)] = e.value }
        for key in try Self.keys(of: ports) where wanted[key] == nil {
            guard berth_bpf_map_delete(ports, key) == 0 || errno == ENOENT else {
                throw SystemError("bpf(BPF_MAP_DELETE_ELEM)", portsName, errno: errno)
            }
        }
        for (key, value) in wanted {
            guard berth_bpf_map_update(ports, key, value) == 0 else {
                throw SystemError("bpf(BPF_MAP_UPDATE_ELEM)", portsName, errno: errno)
            }
        }
    }

    /// Creates the maps, loads both programs and attaches them
    /// (getpeername first, so no redirected socket ever reports the
    /// container's address); returns the ports map.
    private func attachPrograms(cgroup: Int32) throws -> Int32 {
        let ports = berth_bpf_map_create(berth_bpf_map_type_hash, RedirectPrograms.portsKeySize,
                                         RedirectPrograms.portsValueSize, 4096, portsName)
        guard ports >= 0 else { throw SystemError("bpf(BPF_MAP_CREATE)", portsName, errno: errno) }
        let reverse = berth_bpf_map_create(berth_bpf_map_type_lru_hash, RedirectPrograms.reverseKeySize,
                                           RedirectPrograms.reverseValueSize, 65536, reverseName)
        guard reverse >= 0 else {
            let e = errno
            close(ports)
            throw SystemError("bpf(BPF_MAP_CREATE)", reverseName, errno: e)
        }
        defer { close(reverse) }
        do {
            let getpeername = try load(try RedirectPrograms.getpeername4(reverse: reverse),
                                       attachType: berth_bpf_attach_getpeername4, name: getpeernameName)
            defer { close(getpeername) }
            let connect = try load(try RedirectPrograms.connect4(ports: ports, reverse: reverse),
                                   attachType: berth_bpf_attach_connect4, name: connectName)
            defer { close(connect) }
            guard berth_bpf_prog_attach(getpeername, cgroup, berth_bpf_attach_getpeername4) == 0 else {
                throw SystemError("bpf(BPF_PROG_ATTACH)", getpeernameName, errno: errno)
            }
            guard berth_bpf_prog_attach(connect, cgroup, berth_bpf_attach_connect4) == 0 else {
                throw SystemError("bpf(BPF_PROG_ATTACH)", connectName, errno: errno)
            }
            return ports
        } catch {
            close(ports)
            throw error
        }
    }

    private func load(_ program: [BPFInstruction], attachType: UInt32, name: String) throws -> Int32 {
        let code = program.flatMap(\.bytes)
        var log = [CChar](repeating: 0, count: 16384)
        let fd = berth_bpf_prog_load_sock_addr(attachType, code, UInt32(program.count), name, &log, UInt32(log.count))
        guard fd >= 0 else {
            let e = errno
            let report = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let last = report.split(separator: "\n").suffix(2).joined(separator: "; ")
            throw NetworkError("cannot load eBPF program \(name): \(String(cString: strerror(e)))\(last.isEmpty ? "" : " (\(last))")")
        }
        return fd
    }

    /// One of this root's programs attached to the cgroup2 root.
    struct Attached {
        var fd: Int32
        var name: String
        var attachType: UInt32
        var mapIDs: [UInt32]

        func detach(cgroup: Int32) { _ = berth_bpf_prog_detach(fd, cgroup, attachType) }
    }

    /// This root's programs attached to `cgroup` (open descriptors the
    /// caller closes).
    func attached(cgroup: Int32) -> [Attached] {
        var out: [Attached] = []
        for type in [berth_bpf_attach_connect4, berth_bpf_attach_getpeername4] {
            for p in Self.programs(cgroup: cgroup, attachType: type) {
                if p.name == connectName || p.name == getpeernameName { out.append(p) } else { close(p.fd) }
            }
        }
        return out
    }

    /// Every program attached to `cgroup` for `attachType`, with its name.
    static func programs(cgroup: Int32, attachType: UInt32) -> [Attached] {
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        guard berth_bpf_prog_query(cgroup, attachType, &ids, &count) == 0 else { return [] }
        var out: [Attached] = []
        for id in ids.prefix(Int(min(count, UInt32(ids.count)))) {
            let fd = berth_bpf_prog_fd_by_id(id)
            guard fd >= 0 else { continue }
            var name = [CChar](repeating: 0, count: 16)
            var maps = [UInt32](repeating: 0, count: 8)
            var mapCount = UInt32(maps.count)
            guard berth_bpf_prog_info(fd, &name, &maps, &mapCount) == 0 else {
                close(fd)
                continue
            }
            out.append(Attached(fd: fd, name: Self.string(name), attachType: attachType,
                                mapIDs: Array(maps.prefix(Int(min(mapCount, UInt32(maps.count)))))))
        }
        return out
    }

    /// The names of every berth program attached to the cgroup2 root, of
    /// any state root (`brt4…`): what a leak check looks for.
    public static func attachedProgramNames() -> [String] {
        guard let cgroup = openCgroup2Root() else { return [] }
        defer { close(cgroup) }
        var names: [String] = []
        for type in [berth_bpf_attach_connect4, berth_bpf_attach_getpeername4] {
            for p in programs(cgroup: cgroup, attachType: type) {
                if p.name.hasPrefix("brt4") { names.append(p.name) }
                close(p.fd)
            }
        }
        return names.sorted()
    }

    private func mapFD(of program: Attached, named name: String) -> Int32? {
        for id in program.mapIDs {
            let fd = berth_bpf_map_fd_by_id(id)
            guard fd >= 0 else { continue }
            var mapName = [CChar](repeating: 0, count: 16)
            if berth_bpf_map_name(fd, &mapName) == 0 && Self.string(mapName) == name { return fd }
            close(fd)
        }
        return nil
    }

    private static func keys(of map: Int32) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        var next = [UInt8](repeating: 0, count: Int(RedirectPrograms.portsKeySize))
        var rc = berth_bpf_map_next_key(map, nil, &next)
        while rc == 0 {
            keys.append(next)
            let current = next
            rc = berth_bpf_map_next_key(map, current, &next)
        }
        guard errno == ENOENT else { throw SystemError("bpf(BPF_MAP_GET_NEXT_KEY)", "ports map", errno: errno) }
        return keys
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The cookie of this process's network namespace (SO_NETNS_COOKIE),
    /// which the connect program compares with the connecting socket's.
    static func netnsCookie() throws -> UInt64 {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SystemError("socket", "AF_INET", errno: errno) }
        defer { close(s) }
        var cookie: UInt64 = 0
        var size = socklen_t(MemoryLayout<UInt64>.size)
        guard getsockopt(s, SOL_SOCKET, berth_so_netns_cookie, &cookie, &size) == 0 else {
            throw SystemError("getsockopt(SO_NETNS_COOKIE)", "", errno: errno)
        }
        return cookie
    }

    /// The root of the cgroup2 hierarchy: /sys/fs/cgroup/unified on a
    /// hybrid machine, /sys/fs/cgroup on a pure cgroup2 one.
    static func openCgroup2Root() -> Int32? {
        for path in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
            guard berth_is_cgroup2(path) == 1 else { continue }
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { return fd }
        }
        return nil
    }
}
