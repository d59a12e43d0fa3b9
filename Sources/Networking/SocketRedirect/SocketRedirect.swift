import CBPF
import Diagnostics
import EBPF
import IPAddress
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Published TCP ports on the host's own IPv4 addresses, taken at connect()
/// time instead of per packet: two cgroup socket-address programs
/// (`RedirectPrograms`) attached to the root of the cgroup2 hierarchy point
/// a host process's connect() to 127.0.0.1:PORT (or to another address of
/// the host with that port) straight at the container, so the connection
/// runs exactly like one to the container's own address (no NAT, no
/// conntrack, the socket's early demux), and getpeername() still reports
/// the address and port asked for. Only the host's network namespace is
/// affected: a container's 127.0.0.1 stays its own.
///
/// berth's nftables rules for the same ports stay in place: they serve UDP,
/// IPv6, sockets bound to an address, and everything
/// whenever the programs cannot be loaded (an old kernel, no cgroup2 mount).
///
/// The kernel holds all the state: programs attached with BPF_F_ALLOW_MULTI
/// stay attached after berth exits and are found again by name (each state
/// root has its own pair, named after its nftables table); their ports map is
/// found through the connect program. No pinning, no file to leak. The pair
/// goes with the root's last published port.
public struct SocketRedirect: Sendable {
    /// `brt4a`, `brt4n`, `brtp`, `brtr` + the table name's suffix
    /// (`berth` → none, `berth_1a2b3c4d` → `_1a2b3c4d`): at most 15 bytes.
    public let connectName: String, getpeernameName: String, portsName: String, reverseName: String
    /// The names of an earlier pair (`brt4c`, `brt4g`: loopback only, a
    /// value without the local-destination flag), replaced when found.
    let formerNames: [String]

    public init(table: String) {
        let suffix = table.hasPrefix("berth") ? String(table.dropFirst(5).prefix(10)) : "_" + String(table.prefix(9))
        connectName = "brt4a" + suffix
        getpeernameName = "brt4n" + suffix
        portsName = "brtp" + suffix
        reverseName = "brtr" + suffix
        formerNames = ["brt4c" + suffix, "brt4g" + suffix]
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
            let found = attached(cgroup: cgroup)
            for p in found { p.detach(cgroup: cgroup) }
            return error
        }
    }

    /// The entries in effect (empty when the programs are not attached).
    public func currentEntries() throws -> [RedirectEntry] {
        guard let cgroup = Self.openCgroup2Root() else { return [] }
        defer { close(cgroup) }
        let found = attached(cgroup: cgroup)
        guard let connect = found.first(where: { $0.name == connectName }),
              let ports = mapFD(of: connect, named: portsName) else { return [] }
        defer { close(ports) }
        return try BPFKernel.keys(map: ports, keySize: Int(RedirectPrograms.portsKeySize), portsName).compactMap { key in
            BPFKernel.lookup(map: ports, key: key, valueSize: Int(RedirectPrograms.portsValueSize))
                .map { RedirectEntry(key: key, value: $0) }
        }
    }

    private func converge(_ entries: [RedirectEntry], cgroup: Int32) throws {
        let found = attached(cgroup: cgroup)
        if entries.isEmpty {
            for p in found { p.detach(cgroup: cgroup) }
            return
        }
        let netns = try Self.netnsCookie()
        let ports: Int32
        if found.count == 2, let connect = found.first(where: { $0.name == connectName }),
           found.contains(where: { $0.name == getpeernameName }), let fd = mapFD(of: connect, named: portsName) {
            ports = fd
        } else {
            // Nothing yet, a pair half made or half removed (berth killed
            // in between), or a former berth's pair: start again.
            for p in found { p.detach(cgroup: cgroup) }
            ports = try attachPrograms(cgroup: cgroup)
        }
        defer { close(ports) }

        var wanted: [[UInt8]: [UInt8]] = [:]
        for e in entries { wanted[e.key(netns: netns)] = e.value }
        for key in try BPFKernel.keys(map: ports, keySize: Int(RedirectPrograms.portsKeySize), portsName) where wanted[key] == nil {
            try BPFKernel.delete(map: ports, key: key, portsName)
        }
        for (key, value) in wanted { try BPFKernel.update(map: ports, key: key, value: value, portsName) }
    }

    /// Creates the maps, loads both programs and attaches them
    /// (getpeername first, so no redirected socket ever reports the
    /// container's address); returns the ports map.
    private func attachPrograms(cgroup: Int32) throws -> Int32 {
        let ports = try BPFKernel.createMap(.hash, keySize: RedirectPrograms.portsKeySize, valueSize: RedirectPrograms.portsValueSize,
                                           maxEntries: 4096, name: portsName)
        do {
            let reverse = try BPFKernel.createMap(.lruHash, keySize: RedirectPrograms.reverseKeySize,
                                                  valueSize: RedirectPrograms.reverseValueSize, maxEntries: 65536, name: reverseName)
            defer { close(reverse) }
            // GPL: the kernel offers these helpers to GPL-compatible programs.
            let getpeername = try BPFKernel.load(try RedirectPrograms.getpeername4(reverse: reverse), for: .getpeername4,
                                                 name: getpeernameName, license: "GPL", getpeernameName)
            defer { close(getpeername) }
            let connect = try BPFKernel.load(try RedirectPrograms.connect4(ports: ports, reverse: reverse), for: .connect4,
                                             name: connectName, license: "GPL", connectName)
            defer { close(connect) }
            try BPFKernel.attach(program: getpeername, cgroup: cgroup, .getpeername4, getpeernameName)
            try BPFKernel.attach(program: connect, cgroup: cgroup, .connect4, connectName)
            return ports
        } catch {
            close(ports)
            throw error
        }
    }

    /// One of this root's programs attached to the cgroup2 root.
    struct Attached {
        var fd: OwnedDescriptor
        var name: String
        var attachType: BPFKernel.AttachType
        var mapIDs: [UInt32]

        func detach(cgroup: Int32) { BPFKernel.detach(program: fd.raw, cgroup: cgroup, attachType) }
    }

    /// This root's programs attached to `cgroup`, of this pair or a
    /// former one.
    func attached(cgroup: Int32) -> [Attached] {
        Self.programs(cgroup: cgroup).filter { $0.name == connectName || $0.name == getpeernameName || formerNames.contains($0.name) }
    }

    /// Every program attached to `cgroup` for the two attach types, with
    /// its name.
    static func programs(cgroup: Int32) -> [Attached] {
        var out: [Attached] = []
        for type in [BPFKernel.AttachType.connect4, .getpeername4] {
            for id in (try? BPFKernel.attachedIDs(cgroup: cgroup, type, "cgroup2 root")) ?? [] {
                guard let fd = BPFKernel.program(id: id).map(OwnedDescriptor.init) else { continue }
                guard let info = BPFKernel.programInfo(fd.raw) else { continue }
                out.append(Attached(fd: fd, name: info.name, attachType: type, mapIDs: info.mapIDs))
            }
        }
        return out
    }

    /// The names of every berth program attached to the cgroup2 root, of
    /// any state root (`brt4…`).
    public static func attachedProgramNames() -> [String] {
        guard let cgroup = openCgroup2Root() else { return [] }
        defer { close(cgroup) }
        return programs(cgroup: cgroup).map(\.name).filter { $0.hasPrefix("brt4") }.sorted()
    }

    private func mapFD(of program: Attached, named name: String) -> Int32? {
        for id in program.mapIDs {
            guard let map = BPFKernel.map(id: id) else { continue }
            if map.name == name { return map.fd }
            close(map.fd)
        }
        return nil
    }

    /// Whether net.ipv4.ip_nonlocal_bind is on in this network namespace
    /// (then only loopback entries are made: see `RedirectEntry.entries`);
    /// unreadable counts as on.
    public static func nonlocalBindEnabled() -> Bool {
        guard let text = try? Sys.readFile("/proc/sys/net/ipv4/ip_nonlocal_bind") else { return true }
        return !text.hasPrefix("0")
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

    /// The root of the cgroup2 hierarchy, opened (the caller closes it):
    /// /sys/fs/cgroup/unified on a hybrid machine, /sys/fs/cgroup on a pure
    /// cgroup2 one.
    public static func openCgroup2Root() -> Int32? {
        for path in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] where BPFKernel.isCgroup2(path) {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { return fd }
        }
        return nil
    }
}
