import CBPF
import EBPF
import IPAddress

/// One published TCP port as the socket redirect sees it: connections from
/// the host's own network namespace to `frontend:frontendPort` go straight
/// to `backend:backendPort` (the container), chosen at connect() time.
public struct RedirectEntry: Hashable, Sendable, CustomStringConvertible {
    public var frontend: IPv4Address
    public var frontendPort: UInt16
    public var backend: IPv4Address
    public var backendPort: UInt16

    public init(frontend: IPv4Address, frontendPort: UInt16, backend: IPv4Address, backendPort: UInt16) {
        self.frontend = frontend
        self.frontendPort = frontendPort
        self.backend = backend
        self.backendPort = backendPort
    }

    public var description: String { "\(frontend):\(frontendPort)->\(backend):\(backendPort)" }

    /// The entries for published ports: TCP bindings reachable on the host's
    /// IPv4 loopback (0.0.0.0 → 127.0.0.1, or the 127.x address given).
    /// Other host addresses stay with kernel NAT: whether an address is the
    /// host's own can change after publishing, and only NAT's per-packet
    /// `fib daddr type local` follows that; loopback is always local.
    public static func entries(for ports: [RulePort]) -> [RedirectEntry] {
        var out: [RedirectEntry] = []
        for p in ports where p.binding.proto == .tcp {
            let frontend: IPv4Address
            switch p.binding.hostIP {
            case .v4(let a) where a.isUnspecified: frontend = IPv4Address(127, 0, 0, 1)
            case .v4(let a) where a.isLoopback: frontend = a
            default: continue
            }
            out.append(RedirectEntry(frontend: frontend, frontendPort: p.binding.hostPort,
                                     backend: p.containerIP, backendPort: p.binding.containerPort))
        }
        return out
    }

    /// The ports map's key: the network namespace's cookie (host order,
    /// as the program's helper returns it), then the address and the port
    /// as `struct bpf_sock_addr` holds them (network order; the port's u32
    /// carries the two bytes first).
    public func key(netns: UInt64) -> [UInt8] {
        RedirectEntry.littleEndian(netns) + frontend.bytes + RedirectEntry.port(frontendPort)
    }

    /// The ports map's value: the container's address and port.
    public var value: [UInt8] { backend.bytes + RedirectEntry.port(backendPort) }

    /// The entry a ports-map key and value stand for.
    init(key: [UInt8], value: [UInt8]) {
        self.init(frontend: IPv4Address(key[8], key[9], key[10], key[11]), frontendPort: UInt16(key[12]) << 8 | UInt16(key[13]),
                  backend: IPv4Address(value[0], value[1], value[2], value[3]), backendPort: UInt16(value[4]) << 8 | UInt16(value[5]))
    }

    static func port(_ p: UInt16) -> [UInt8] { [UInt8(p >> 8), UInt8(p & 0xff), 0, 0] }

    static func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xff) } }
}

/// berth's two cgroup socket-address programs (see `SocketRedirect`),
/// assembled against the file descriptors of their maps. Pure.
///
/// - connect4: for a TCP connect() from the host's network namespace, by a
///   socket not bound to an address or device, to an address and port in
///   the ports map, rewrite the destination to the
///   container's, and remember the original under the socket's cookie in
///   the reverse map. The connection then takes the direct path: no packet
///   of it is ever rewritten.
/// - getpeername4: a socket found in the reverse map, still connected to
///   the container it was redirected to, reports the address it asked for.
public enum RedirectPrograms {
    /// Ports map: 16-byte key (`RedirectEntry.key`), 8-byte value.
    public static let portsKeySize: UInt32 = 16, portsValueSize: UInt32 = 8
    /// Reverse map (LRU): socket cookie → frontend address, frontend port,
    /// backend address, backend port (4 bytes each, as in `bpf_sock_addr`).
    public static let reverseKeySize: UInt32 = 8, reverseValueSize: UInt32 = 16

    // Offsets in `struct bpf_sock_addr` (uapi linux/bpf.h).
    static let userFamily = Int16(0), userIP4 = Int16(4), userPort = Int16(24), type = Int16(32), sock = Int16(64)
    // Offsets in `struct bpf_sock`.
    static let sockBoundDevice = Int16(0), sockSourceIP4 = Int16(24)
    static let afInet: Int32 = 2, sockStream: Int32 = 1

    public static func connect4(ports: Int32, reverse: Int32) throws -> [BPFInstruction] {
        var a = BPFAssembler()
        a.move(.r6, .r1)                                    // r6 = ctx
        a.load32(.r2, from: .r6, type)
        a.jump(if: .r2, differsFrom: sockStream, to: "allow")
        a.load32(.r2, from: .r6, userFamily)
        a.jump(if: .r2, differsFrom: afInet, to: "allow")
        // A socket bound to a source address or a device keeps it (and the
        // NAT path, which handles a loopback source): a redirected connect
        // from 127.0.0.1 could not leave through the bridge.
        a.load64(.r2, from: .r6, sock)
        a.jump(if: .r2, equals: 0, to: "allow")
        a.load32(.r3, from: .r2, sockSourceIP4)
        a.jump(if: .r3, differsFrom: 0, to: "allow")
        a.load32(.r3, from: .r2, sockBoundDevice)
        a.jump(if: .r3, differsFrom: 0, to: "allow")
        // Key at fp-16: netns cookie, address, port.
        a.move(.r1, .r6)
        a.call(BPF_FUNC_get_netns_cookie)
        a.store64(.r10, -16, .r0)
        a.load32(.r2, from: .r6, userIP4)
        a.store32(.r10, -8, .r2)
        a.load32(.r2, from: .r6, userPort)
        a.store32(.r10, -4, .r2)
        a.loadMap(.r1, fd: ports)
        a.move(.r2, .r10)
        a.add(.r2, -16)
        a.call(BPF_FUNC_map_lookup_elem)
        a.jump(if: .r0, equals: 0, to: "allow")
        a.move(.r7, .r0)                                    // r7 = the backend
        // Reverse entry: key (socket cookie) at fp-24, value at fp-40.
        a.move(.r1, .r6)
        a.call(BPF_FUNC_get_socket_cookie)
        a.store64(.r10, -24, .r0)
        a.load32(.r2, from: .r6, userIP4)
        a.store32(.r10, -40, .r2)
        a.load32(.r2, from: .r6, userPort)
        a.store32(.r10, -36, .r2)
        a.load32(.r2, from: .r7, 0)
        a.store32(.r10, -32, .r2)
        a.store32(.r6, userIP4, .r2)                        // the redirect itself
        a.load32(.r2, from: .r7, 4)
        a.store32(.r10, -28, .r2)
        a.store32(.r6, userPort, .r2)
        a.loadMap(.r1, fd: reverse)
        a.move(.r2, .r10)
        a.add(.r2, -24)
        a.move(.r3, .r10)
        a.add(.r3, -40)
        a.move(.r4, 0)                                      // BPF_ANY
        a.call(BPF_FUNC_map_update_elem)
        a.label("allow")
        a.move(.r0, 1)
        a.exit()
        return try a.assemble()
    }

    public static func getpeername4(reverse: Int32) throws -> [BPFInstruction] {
        var a = BPFAssembler()
        a.move(.r6, .r1)
        a.call(BPF_FUNC_get_socket_cookie)                  // r1 is still ctx
        a.store64(.r10, -8, .r0)
        a.loadMap(.r1, fd: reverse)
        a.move(.r2, .r10)
        a.add(.r2, -8)
        a.call(BPF_FUNC_map_lookup_elem)
        a.jump(if: .r0, equals: 0, to: "out")
        // Only while the socket is still connected where it was sent.
        a.load32(.r2, from: .r0, 8)
        a.load32(.r3, from: .r6, userIP4)
        a.jump(if: .r2, differsFrom: .r3, to: "out")
        a.load32(.r2, from: .r0, 12)
        a.load32(.r3, from: .r6, userPort)
        a.jump(if: .r2, differsFrom: .r3, to: "out")
        a.load32(.r2, from: .r0, 0)
        a.store32(.r6, userIP4, .r2)
        a.load32(.r2, from: .r0, 4)
        a.store32(.r6, userPort, .r2)
        a.label("out")
        a.move(.r0, 1)
        a.exit()
        return try a.assemble()
    }
}
