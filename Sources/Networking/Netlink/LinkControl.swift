import Diagnostics
import IPAddress
#if canImport(Glibc)
import Glibc
#endif

/// A link as seen in a dump.
public struct LinkInfo: Hashable, Sendable {
    public var index: Int32
    public var name: String
    public var up: Bool
    public var mtu: UInt32?
    public var master: Int32?
    public var mac: MACAddress?
}

/// An address as seen in a dump.
public struct AddressInfo: Hashable, Sendable {
    public var index: Int32
    public var family: UInt8
    public var prefix: Int
    public var address: [UInt8]

    public var ipv4: IPv4Address? {
        guard family == RT.afInet, address.count == 4 else { return nil }
        return IPv4Address(address[0], address[1], address[2], address[3])
    }
}

/// A route as seen in a dump (main table).
public struct RouteInfo: Hashable, Sendable {
    public var family: UInt8
    public var destination: [UInt8]
    public var dstLength: Int
    public var gateway: [UInt8]?
    public var outputIndex: Int32?
}

/// Link, address and route operations over one netlink socket (one
/// network namespace). Each call is one request, checked for its ACK.
public struct LinkControl {
    public let transport: any NetlinkTransport

    public init(_ transport: any NetlinkTransport) { self.transport = transport }

    public func createBridge(_ name: String, mtu: UInt32?, mac: MACAddress? = nil) throws {
        _ = try transport.request(.newBridge(name: name, mtu: mtu, mac: mac), what: "create bridge \(name)")
    }

    public func createVeth(_ name: String, peer: String, peerNamespace: NetlinkMessage.Namespace?, peerMAC: MACAddress?,
                           mtu: UInt32?, master: Int32?, up: Bool = false, singleQueue: Bool = false) throws {
        _ = try transport.request(.newVeth(name: name, peer: peer, peerNamespace: peerNamespace, peerMAC: peerMAC,
                                           mtu: mtu, master: master, up: up, singleQueue: singleQueue),
                                  what: "create veth \(name) (peer \(peer))")
    }

    public func setUp(_ index: Int32, name: String) throws {
        _ = try transport.request(.setLink(index: index, up: true), what: "set link \(name) up")
    }

    public func delete(_ name: String) throws {
        _ = try transport.request(.deleteLink(name: name), what: "delete link \(name)")
    }

    /// Deletes the link when present; true when it existed.
    @discardableResult
    public func deleteIfPresent(_ name: String) throws -> Bool {
        do {
            try delete(name)
            return true
        } catch let e as SystemError where e.errno == ENODEV || e.errno == ENOENT {
            return false
        }
    }

    /// The link named `name`, or nil when there is none.
    public func link(named name: String) throws -> LinkInfo? {
        do {
            let replies = try transport.request(.getLink(name: name), what: "get link \(name)")
            return replies.compactMap(LinkControl.linkInfo).first
        } catch let e as SystemError where e.errno == ENODEV || e.errno == ENOENT {
            return nil
        }
    }

    public func index(of name: String) throws -> Int32 {
        guard let l = try link(named: name) else { throw SystemError("find link", name, errno: ENODEV) }
        return l.index
    }

    public func links() throws -> [LinkInfo] {
        try transport.request(.dumpLinks(), what: "dump links").compactMap(LinkControl.linkInfo)
    }

    public func addAddress(_ address: IPv4Address, prefix: Int, index: Int32, name: String) throws {
        _ = try transport.request(.newAddress(address, prefix: prefix, index: index), what: "add address \(address)/\(prefix) to \(name)")
    }

    public func addAddress6(_ address: IPv6Address, prefix: Int, index: Int32, name: String) throws {
        _ = try transport.request(.newAddress6(address, prefix: prefix, index: index), what: "add address \(address)/\(prefix) to \(name)")
    }

    public func addresses(family: UInt8 = RT.afInet) throws -> [AddressInfo] {
        try transport.request(.dumpAddresses(family: family), what: "dump addresses").compactMap { r in
            guard let a = r.address else { return nil }
            let local = a.attributes.first { $0.type == RT.ifaLocal } ?? a.attributes.first { $0.type == RT.ifaAddress }
            guard let local else { return nil }
            return AddressInfo(index: a.index, family: a.family, prefix: Int(a.prefix), address: local.payload)
        }
    }

    public func addDefaultRoute(via gateway: IPv4Address, index: Int32) throws {
        _ = try transport.request(.newDefaultRoute(via: gateway, index: index), what: "add default route via \(gateway)")
    }

    public func addDefaultRoute6(via gateway: IPv6Address, index: Int32) throws {
        _ = try transport.request(.newDefaultRoute6(via: gateway, index: index), what: "add default route via \(gateway)")
    }

    /// Routes of the main table.
    public func routes(family: UInt8 = RT.afInet) throws -> [RouteInfo] {
        try transport.request(.dumpRoutes(family: family), what: "dump routes").compactMap { r in
            guard let rt = r.route, rt.table == RT.tableMain else { return nil }
            let dst = rt.attributes.first { $0.type == RT.rtaDst }?.payload ?? []
            let gw = rt.attributes.first { $0.type == RT.rtaGateway }?.payload
            let oif = rt.attributes.first { $0.type == RT.rtaOif }.map { Int32(bitPattern: NetlinkEncoding.read32($0.payload[...], 0)) }
            return RouteInfo(family: rt.family, destination: dst, dstLength: Int(rt.dstLength), gateway: gw, outputIndex: oif)
        }
    }

    static func linkInfo(_ r: NetlinkReply) -> LinkInfo? {
        guard let l = r.link else { return nil }
        var name = ""
        var mtu: UInt32?
        var master: Int32?
        var mac: MACAddress?
        for a in l.attributes {
            switch a.type {
            case RT.iflaIfname: name = String(decoding: a.payload.prefix { $0 != 0 }, as: UTF8.self)
            case RT.iflaMTU where a.payload.count >= 4: mtu = NetlinkEncoding.read32(a.payload[...], 0)
            case RT.iflaMaster where a.payload.count >= 4: master = Int32(bitPattern: NetlinkEncoding.read32(a.payload[...], 0))
            case RT.iflaAddress: mac = MACAddress(bytes: a.payload)
            default: break
            }
        }
        return LinkInfo(index: l.index, name: name, up: l.flags & RT.iffUp != 0, mtu: mtu, master: master, mac: mac)
    }
}
