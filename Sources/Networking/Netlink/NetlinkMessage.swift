import IPAddress

/// rtnetlink constants berth uses (linux/netlink.h, linux/rtnetlink.h,
/// linux/if_link.h, linux/veth.h).
public enum RT {
    public static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    public static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    public static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    public static let nlmsgError: UInt16 = 2, nlmsgDone: UInt16 = 3

    public static let request: UInt16 = 0x1, multi: UInt16 = 0x2, ack: UInt16 = 0x4
    public static let dump: UInt16 = 0x300, replace: UInt16 = 0x100, excl: UInt16 = 0x200, create: UInt16 = 0x400

    public static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMTU: UInt16 = 4
    public static let iflaMaster: UInt16 = 10, iflaLinkinfo: UInt16 = 18, iflaNetNSPid: UInt16 = 19
    public static let iflaNetNSFd: UInt16 = 28
    public static let iflaNumTxQueues: UInt16 = 31, iflaNumRxQueues: UInt16 = 32
    public static let infoKind: UInt16 = 1, infoData: UInt16 = 2
    public static let vethInfoPeer: UInt16 = 1

    public static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2, ifaBroadcast: UInt16 = 4
    public static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5

    public static let afUnspec: UInt8 = 0, afInet: UInt8 = 2, afInet6: UInt8 = 10
    public static let iffUp: UInt32 = 0x1
    public static let tableMain: UInt8 = 254, protoBoot: UInt8 = 3, protoKernel: UInt8 = 2
    public static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253, scopeHost: UInt8 = 254
    public static let rtnUnicast: UInt8 = 1
}

/// A route attribute: type and payload, or nested attributes.
public struct NetlinkAttribute: Hashable, Sendable {
    public var type: UInt16
    public var payload: [UInt8]

    public init(_ type: UInt16, _ payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    public static func string(_ type: UInt16, _ s: String) -> NetlinkAttribute {
        NetlinkAttribute(type, Array(s.utf8) + [0])
    }

    public static func u32(_ type: UInt16, _ v: UInt32) -> NetlinkAttribute {
        NetlinkAttribute(type, NetlinkEncoding.le32(v))
    }

    public static func nested(_ type: UInt16, _ children: [NetlinkAttribute]) -> NetlinkAttribute {
        NetlinkAttribute(type, children.flatMap { $0.encoded() })
    }

    /// Length, type, payload, zero padding to 4 bytes.
    public func encoded() -> [UInt8] {
        let len = 4 + payload.count
        var b = NetlinkEncoding.le16(UInt16(len)) + NetlinkEncoding.le16(type) + payload
        b += [UInt8](repeating: 0, count: NetlinkEncoding.align(len) - len)
        return b
    }

    /// Splits a run of attributes (as received) into (type, payload) pairs.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [NetlinkAttribute] {
        var out: [NetlinkAttribute] = []
        var p = bytes.startIndex
        while p + 4 <= bytes.endIndex {
            let len = Int(NetlinkEncoding.read16(bytes, p))
            let type = NetlinkEncoding.read16(bytes, p + 2) & 0x3fff
            guard len >= 4, p + len <= bytes.endIndex else { break }
            out.append(NetlinkAttribute(type, Array(bytes[(p + 4)..<(p + len)])))
            p += NetlinkEncoding.align(len)
        }
        return out
    }
}

/// Little-endian (host order on the machines berth supports) field encoding.
public enum NetlinkEncoding {
    public static func align(_ n: Int) -> Int { (n + 3) & ~3 }
    public static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    public static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    public static func read16(_ b: ArraySlice<UInt8>, _ p: Int) -> UInt16 { UInt16(b[p]) | UInt16(b[p + 1]) << 8 }
    public static func read32(_ b: ArraySlice<UInt8>, _ p: Int) -> UInt32 {
        UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
    }
}

/// One netlink request: header fields, the fixed family header, attributes.
public struct NetlinkMessage: Hashable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var header: [UInt8]
    public var attributes: [NetlinkAttribute]

    public init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, header: [UInt8], attributes: [NetlinkAttribute] = []) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.header = header
        self.attributes = attributes
    }

    /// The bytes of the message (nlmsghdr with pid 0, the kernel fills it).
    public func encoded() -> [UInt8] {
        let body = header + attributes.flatMap { $0.encoded() }
        let len = 16 + body.count
        return NetlinkEncoding.le32(UInt32(len)) + NetlinkEncoding.le16(type) + NetlinkEncoding.le16(flags)
            + NetlinkEncoding.le32(sequence) + NetlinkEncoding.le32(0) + body
    }

    /// struct ifinfomsg.
    public static func ifinfo(family: UInt8 = RT.afUnspec, type: UInt16 = 0, index: Int32 = 0,
                              flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [family, 0] + NetlinkEncoding.le16(type) + NetlinkEncoding.le32(UInt32(bitPattern: index))
            + NetlinkEncoding.le32(flags) + NetlinkEncoding.le32(change)
    }

    /// struct ifaddrmsg.
    public static func ifaddr(family: UInt8, prefix: UInt8, scope: UInt8 = RT.scopeUniverse, index: Int32) -> [UInt8] {
        [family, prefix, 0, scope] + NetlinkEncoding.le32(UInt32(bitPattern: index))
    }

    /// struct rtmsg.
    public static func rtmsg(family: UInt8, dstLength: UInt8, table: UInt8 = RT.tableMain, protocol: UInt8 = RT.protoBoot,
                             scope: UInt8 = RT.scopeUniverse, type: UInt8 = RT.rtnUnicast) -> [UInt8] {
        [family, dstLength, 0, 0, table, `protocol`, scope, type] + NetlinkEncoding.le32(0)
    }

    // MARK: requests berth sends

    /// Where the new link's peer (or a moved link) goes.
    public enum Namespace: Hashable, Sendable {
        case pid(Int32)
        case fd(Int32)

        var attribute: NetlinkAttribute {
            switch self {
            case .pid(let p): .u32(RT.iflaNetNSPid, UInt32(bitPattern: p))
            case .fd(let f): .u32(RT.iflaNetNSFd, UInt32(bitPattern: f))
            }
        }
    }

    /// `ip link add NAME type bridge [mtu M]`.
    /// A fixed `mac` keeps the bridge's address stable: otherwise it follows
    /// the lowest port MAC and changes when a container leaves, leaving stale
    /// ARP entries for the gateway in the other containers.
    public static func newBridge(name: String, mtu: UInt32?, mac: MACAddress? = nil, sequence: UInt32 = 0) -> NetlinkMessage {
        // Attribute order and the kind without NUL as iproute2 sends them.
        var attrs: [NetlinkAttribute] = []
        if let mac { attrs.append(NetlinkAttribute(RT.iflaAddress, mac.bytes)) }
        if let mtu { attrs.append(.u32(RT.iflaMTU, mtu)) }
        attrs.append(.string(RT.iflaIfname, name))
        attrs.append(.nested(RT.iflaLinkinfo, [NetlinkAttribute(RT.infoKind, Array("bridge".utf8))]))
        return NetlinkMessage(type: RT.newLink, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                              header: ifinfo(), attributes: attrs)
    }

    /// `ip link add NAME [mtu M] [master BR] type veth peer name PEER [address MAC] [mtu M] netns NS`.
    /// With `up`, the link `name` is created up (`ifi_flags` of its
    /// ifinfomsg: the kernel applies them once both ends exist, before the
    /// master), which spares a lookup and an `ip link set … up`. Not the
    /// peer: the kernel configures it before the pair is joined, and a veth
    /// without its peer refuses to open (ENOTCONN).
    /// With `singleQueue`, both ends get one TX and one RX queue
    /// (`numtxqueues 1 numrxqueues 1`): the kernel otherwise allocates one
    /// per CPU and then cuts the real count to 1 anyway (`veth_init_queues`),
    /// which waits for two expedited RCU grace periods and makes sysfs
    /// entries for queues never used.
    public static func newVeth(name: String, peer: String, peerNamespace: Namespace?, peerMAC: MACAddress?,
                               mtu: UInt32?, master: Int32?, up: Bool = false, singleQueue: Bool = false,
                               sequence: UInt32 = 0) -> NetlinkMessage {
        let state = up ? ifinfo(flags: RT.iffUp, change: RT.iffUp) : ifinfo()
        let queues: [NetlinkAttribute] = singleQueue ? [.u32(RT.iflaNumTxQueues, 1), .u32(RT.iflaNumRxQueues, 1)] : []
        // Attribute order and the kind without NUL as iproute2 sends them.
        var peerAttrs: [NetlinkAttribute] = queues
        if let peerMAC { peerAttrs.append(NetlinkAttribute(RT.iflaAddress, peerMAC.bytes)) }
        if let mtu { peerAttrs.append(.u32(RT.iflaMTU, mtu)) }
        if let peerNamespace { peerAttrs.append(peerNamespace.attribute) }
        peerAttrs.append(.string(RT.iflaIfname, peer))
        let peerInfo = NetlinkAttribute(RT.vethInfoPeer, ifinfo() + peerAttrs.flatMap { $0.encoded() })
        var attrs: [NetlinkAttribute] = queues
        if let mtu { attrs.append(.u32(RT.iflaMTU, mtu)) }
        attrs.append(.string(RT.iflaIfname, name))
        if let master { attrs.append(.u32(RT.iflaMaster, UInt32(bitPattern: master))) }
        attrs.append(.nested(RT.iflaLinkinfo, [NetlinkAttribute(RT.infoKind, Array("veth".utf8)), .nested(RT.infoData, [peerInfo])]))
        return NetlinkMessage(type: RT.newLink, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                              header: state, attributes: attrs)
    }

    /// `ip link set dev NAME up`: the link found by name (index 0).
    public static func setLinkUp(name: String, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.newLink, flags: RT.request | RT.ack, sequence: sequence,
                       header: ifinfo(flags: RT.iffUp, change: RT.iffUp), attributes: [.string(RT.iflaIfname, name)])
    }

    /// `ip link set dev INDEX up|down` (also `mtu`, `master`, `netns`, `name`).
    public static func setLink(index: Int32, up: Bool?, mtu: UInt32? = nil, master: Int32? = nil,
                               rename: String? = nil, namespace: Namespace? = nil, sequence: UInt32 = 0) -> NetlinkMessage {
        var attrs: [NetlinkAttribute] = []
        if let rename { attrs.append(.string(RT.iflaIfname, rename)) }
        if let mtu { attrs.append(.u32(RT.iflaMTU, mtu)) }
        if let master { attrs.append(.u32(RT.iflaMaster, UInt32(bitPattern: master))) }
        if let namespace { attrs.append(namespace.attribute) }
        let flags: UInt32 = up == true ? RT.iffUp : 0
        let change: UInt32 = up == nil ? 0 : RT.iffUp
        return NetlinkMessage(type: RT.newLink, flags: RT.request | RT.ack, sequence: sequence,
                              header: ifinfo(index: index, flags: flags, change: change), attributes: attrs)
    }

    /// `ip link del NAME`.
    public static func deleteLink(name: String, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.delLink, flags: RT.request | RT.ack, sequence: sequence,
                       header: ifinfo(), attributes: [.string(RT.iflaIfname, name)])
    }

    /// `ip link show NAME` (answer: one RTM_NEWLINK).
    public static func getLink(name: String, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.getLink, flags: RT.request, sequence: sequence,
                       header: ifinfo(), attributes: [.string(RT.iflaIfname, name)])
    }

    /// `ip link show` (dump).
    public static func dumpLinks(sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.getLink, flags: RT.request | RT.dump, sequence: sequence, header: ifinfo())
    }

    /// `ip addr add A/P dev INDEX` (IPv4, with broadcast when P < 31).
    public static func newAddress(_ address: IPv4Address, prefix: Int, index: Int32, sequence: UInt32 = 0) -> NetlinkMessage {
        var attrs: [NetlinkAttribute] = [NetlinkAttribute(RT.ifaLocal, address.bytes), NetlinkAttribute(RT.ifaAddress, address.bytes)]
        if prefix < 31 {
            attrs.append(NetlinkAttribute(RT.ifaBroadcast, IPv4Subnet(address, prefix: prefix).broadcast.bytes))
        }
        return NetlinkMessage(type: RT.newAddr, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                              header: ifaddr(family: RT.afInet, prefix: UInt8(prefix), index: index), attributes: attrs)
    }

    /// `ip -6 addr add A/P dev INDEX nodad`.
    public static func newAddress6(_ address: IPv6Address, prefix: Int, index: Int32, sequence: UInt32 = 0) -> NetlinkMessage {
        // IFA_F_NODAD (0x02) in the ifaddrmsg flags: containers need the address at once.
        var header = ifaddr(family: RT.afInet6, prefix: UInt8(prefix), index: index)
        header[2] = 0x02
        return NetlinkMessage(type: RT.newAddr, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                              header: header, attributes: [NetlinkAttribute(RT.ifaLocal, address.bytes), NetlinkAttribute(RT.ifaAddress, address.bytes)])
    }

    /// `ip addr show` (dump, one family).
    public static func dumpAddresses(family: UInt8, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.getAddr, flags: RT.request | RT.dump, sequence: sequence,
                       header: ifaddr(family: family, prefix: 0, index: 0))
    }

    /// `ip route add default via GW` (IPv4).
    public static func newDefaultRoute(via gateway: IPv4Address, index: Int32, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.newRoute, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                       header: rtmsg(family: RT.afInet, dstLength: 0),
                       attributes: [NetlinkAttribute(RT.rtaGateway, gateway.bytes), .u32(RT.rtaOif, UInt32(bitPattern: index))])
    }

    /// `ip -6 route add default via GW`.
    public static func newDefaultRoute6(via gateway: IPv6Address, index: Int32, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.newRoute, flags: RT.request | RT.ack | RT.create | RT.excl, sequence: sequence,
                       header: rtmsg(family: RT.afInet6, dstLength: 0),
                       attributes: [NetlinkAttribute(RT.rtaGateway, gateway.bytes), .u32(RT.rtaOif, UInt32(bitPattern: index))])
    }

    /// `ip route show` (dump, one family).
    public static func dumpRoutes(family: UInt8, sequence: UInt32 = 0) -> NetlinkMessage {
        NetlinkMessage(type: RT.getRoute, flags: RT.request | RT.dump, sequence: sequence,
                       header: rtmsg(family: family, dstLength: 0, table: 0, protocol: 0, type: 0))
    }
}

/// A received netlink message: header fields and body.
public struct NetlinkReply: Hashable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var body: ArraySlice<UInt8>

    /// Splits a datagram into messages.
    public static func split(_ bytes: [UInt8]) -> [NetlinkReply] {
        var out: [NetlinkReply] = []
        var p = 0
        let all = bytes[...]
        while p + 16 <= bytes.count {
            let len = Int(NetlinkEncoding.read32(all, p))
            guard len >= 16, p + len <= bytes.count else { break }
            out.append(NetlinkReply(type: NetlinkEncoding.read16(all, p + 4), flags: NetlinkEncoding.read16(all, p + 6),
                                    sequence: NetlinkEncoding.read32(all, p + 8), body: all[(p + 16)..<(p + len)]))
            p += NetlinkEncoding.align(len)
        }
        return out
    }

    /// For NLMSG_ERROR: the (positive) errno, 0 for an ACK.
    public var errorCode: Int32? {
        guard type == RT.nlmsgError, body.count >= 4 else { return nil }
        return -Int32(bitPattern: NetlinkEncoding.read32(body, body.startIndex))
    }

    /// A link message: index, flags and attributes.
    public var link: (index: Int32, flags: UInt32, attributes: [NetlinkAttribute])? {
        guard type == RT.newLink, body.count >= 16 else { return nil }
        let s = body.startIndex
        return (Int32(bitPattern: NetlinkEncoding.read32(body, s + 4)), NetlinkEncoding.read32(body, s + 8),
                NetlinkAttribute.parse(body[(s + 16)...]))
    }

    /// An address message: family, prefix, interface index, attributes.
    public var address: (family: UInt8, prefix: UInt8, index: Int32, attributes: [NetlinkAttribute])? {
        guard type == RT.newAddr, body.count >= 8 else { return nil }
        let s = body.startIndex
        return (body[s], body[s + 1], Int32(bitPattern: NetlinkEncoding.read32(body, s + 4)), NetlinkAttribute.parse(body[(s + 8)...]))
    }

    /// A route message: family, destination length, table, attributes.
    public var route: (family: UInt8, dstLength: UInt8, table: UInt8, attributes: [NetlinkAttribute])? {
        guard type == RT.newRoute, body.count >= 12 else { return nil }
        let s = body.startIndex
        return (body[s], body[s + 1], body[s + 4], NetlinkAttribute.parse(body[(s + 12)...]))
    }
}
