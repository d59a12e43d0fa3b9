import CBPF
import EBPF
import IPAddress

/// One published TCP port as the socket redirect sees it: connections from
/// the host's own network namespace to `frontend:frontendPort` go straight
/// to `backend:backendPort` (the container), chosen at connect() time.
/// A frontend of 0.0.0.0 stands for every address of the host.
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

    /// Whether the program must find the destination to be one of the
    /// host's own addresses at connect() time before redirecting: every
    /// frontend but a loopback one (always the host's). Whether an
    /// address is the host's can change after publishing; the check is
    /// made per connection, as NAT's `fib daddr type local` is per packet.
    public var requiresLocalDestination: Bool { !frontend.isLoopback }

    /// The entries for published ports: TCP bindings on the host's IPv4
    /// addresses. 0.0.0.0 gives two: 127.0.0.1 (the usual destination,
    /// found at the first lookup) and "any address of the host" (0.0.0.0,
    /// checked at connect() time); a loopback or other host address gives
    /// its own. The non-loopback ones are left out when
    /// `nonlocalBind` (net.ipv4.ip_nonlocal_bind) is on: the check binds the
    /// socket to the destination, which that sysctl lets succeed for any
    /// address. IPv6 and UDP stay with kernel NAT.
    public static func entries(for ports: [RulePort], nonlocalBind: Bool) -> [RedirectEntry] {
        var out: [RedirectEntry] = []
        for p in ports where p.binding.proto == .tcp {
            var frontends: [IPv4Address]
            switch p.binding.hostIP {
            case .v4(let a) where a.isUnspecified: frontends = [IPv4Address(127, 0, 0, 1), a]
            case .v4(let a): frontends = [a]
            default: continue
            }
            if nonlocalBind { frontends.removeAll { !$0.isLoopback } }
            for f in frontends {
                out.append(RedirectEntry(frontend: f, frontendPort: p.binding.hostPort,
                                         backend: p.containerIP, backendPort: p.binding.containerPort))
            }
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

    /// The ports map's value: the container's address and port, then
    /// 1 when the destination must be local (`requiresLocalDestination`):
    /// the program reads the port's u32, whose upper half holds it.
    public var value: [UInt8] {
        backend.bytes + [UInt8(backendPort >> 8), UInt8(backendPort & 0xff), requiresLocalDestination ? 1 : 0, 0]
    }

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
///   the ports map (or, for a destination below 224.0.0.0, to any address
///   with that port's 0.0.0.0 entry), rewrite the destination to the
///   container's, and remember the original under the socket's cookie in
///   the reverse map. An entry that requires a local destination first
///   binds the socket to it (`bpf_bind`, port 0): that succeeds only for an
///   address of the host, and gives the socket the source address a
///   connection to that address would have had. 127/8 destinations skip
///   the bind (always local; a socket bound there could not leave through
///   the bridge). The connection then takes the direct path: no packet of
///   it is ever rewritten.
/// - getpeername4: a socket found in the reverse map, still connected to
///   the container it was redirected to, reports the address it asked for.
public enum RedirectPrograms {
    /// Ports map: 16-byte key (`RedirectEntry.key`), 8-byte value
    /// (`RedirectEntry.value`).
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
        /// *(u32 *)(fp + slot) = the context's u32 at `field`.
        func copyToStack(_ field: Int16, _ slot: Int16) {
            a.load32(.r2, from: .r6, field)
            a.store32(.r10, slot, .r2)
        }
        /// r0 = the ports map's value for the key at fp-16, or 0.
        func lookUpPorts() {
            a.loadMap(.r1, fd: ports)
            a.move(.r2, .r10)
            a.add(.r2, -16)
            a.call(BPF_FUNC_map_lookup_elem)
        }
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
        copyToStack(userIP4, -8)
        copyToStack(userPort, -4)
        lookUpPorts()
        a.jump(if: .r0, differsFrom: 0, to: "found")
        // Not the address itself: the port's 0.0.0.0 entry, for a first
        // octet (the u32's low byte, kept in r8) below multicast's.
        a.load32(.r8, from: .r6, userIP4)
        a.and(.r8, 0xff)
        a.jump(if: .r8, atLeast: 224, to: "allow")
        a.move(.r2, 0)
        a.store32(.r10, -8, .r2)
        lookUpPorts()
        a.jump(if: .r0, equals: 0, to: "allow")
        a.move(.r7, .r0)                                    // r7 = the backend
        // 127/8 is always local, and a socket bound to it could not leave
        // through the bridge: no bind.
        a.jump(if: .r8, equals: 127, to: "redirect")
        a.jump(to: "check")
        a.label("found")
        a.move(.r7, .r0)
        a.label("check")
        a.load32(.r2, from: .r7, 4)
        a.shiftRight(.r2, 16)
        a.jump(if: .r2, equals: 0, to: "redirect")
        // Only to the host's own address: bind the socket to it (struct
        // sockaddr_in at fp-56: AF_INET, port 0, the address, zeros).
        a.move(.r2, afInet)
        a.store32(.r10, -56, .r2)
        copyToStack(userIP4, -52)
        a.move(.r2, 0)
        a.store64(.r10, -48, .r2)
        a.move(.r1, .r6)
        a.move(.r2, .r10)
        a.add(.r2, -56)
        a.move(.r3, 16)
        a.call(BPF_FUNC_bind)
        a.jump(if: .r0, differsFrom: 0, to: "allow")
        a.label("redirect")
        // Reverse entry: key (socket cookie) at fp-24, value at fp-40.
        a.move(.r1, .r6)
        a.call(BPF_FUNC_get_socket_cookie)
        a.store64(.r10, -24, .r0)
        copyToStack(userIP4, -40)
        copyToStack(userPort, -36)
        a.load32(.r2, from: .r7, 0)
        a.store32(.r10, -32, .r2)
        a.store32(.r6, userIP4, .r2)                        // the redirect itself
        a.load32(.r2, from: .r7, 4)
        a.and(.r2, 0xffff)
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
