import IPAddress
@testable import Networking
import Testing

/// Expected bytes are what iproute2 sends for the same request (captured with
/// `strace -xx -e sendmsg ip …`, sequence number zeroed).
@Suite struct NetlinkMessageTests {
    static func hex(_ s: String) -> [UInt8] {
        let digits = s.filter(\.isHexDigit)
        return stride(from: 0, to: digits.count, by: 2).map {
            let i = digits.index(digits.startIndex, offsetBy: $0)
            return UInt8(digits[i...digits.index(after: i)], radix: 16) ?? 0
        }
    }

    @Test func bridgeMatchesIproute2() {
        // ip link add brtstr0 type bridge
        let expected = Self.hex("""
            3c000000 1000 0506 00000000 00000000
            00 00 0000 00000000 00000000 00000000
            0c00 0300 62727473 74723000
            1000 1200 0a00 0100 62726964 67650000
            """)
        #expect(NetlinkMessage.newBridge(name: "brtstr0", mtu: nil).encoded() == expected)
    }

    @Test func vethWithPeerInNamespaceMatchesIproute2() {
        // ip link add brtvstr0 type veth peer name eth0 address 02:42:0a:00:00:02 netns 24297
        let expected = Self.hex("""
            74000000 1000 0506 00000000 00000000
            00 00 0000 00000000 00000000 00000000
            0d00 0300 62727476 73747230 00000000
            4400 1200 0800 0100 76657468
            3800 0200
            3400 0100 00000000 00000000 00000000 00000000
            0a00 0100 02420a00 00020000
            0800 1300 e95e0000
            0900 0300 65746830 00000000
            """)
        let m = NetlinkMessage.newVeth(name: "brtvstr0", peer: "eth0", peerNamespace: .pid(24297),
                                       peerMAC: MACAddress("02:42:0a:00:00:02"), mtu: nil, master: nil)
        #expect(m.encoded() == expected)
    }

    @Test func vethByNamespaceFdWithMTUAndMaster() {
        let m = NetlinkMessage.newVeth(name: "a", peer: "eth0", peerNamespace: .fd(7), peerMAC: nil, mtu: 1400, master: 5)
        // VETH_INFO_PEER: header 4 + ifinfomsg 16 + mtu 8 + fd 8 + ifname 12.
        let peerLength = 4 + 16 + 8 + 8 + 12
        let bytes = m.encoded()
        // Structural checks where a hand-made capture would be error-prone:
        #expect(bytes.count == Int(bytes[0]) | Int(bytes[1]) << 8)
        let attrs = NetlinkAttribute.parse(bytes[32...])
        #expect(attrs.map(\.type) == [RT.iflaMTU, RT.iflaIfname, RT.iflaMaster, RT.iflaLinkinfo])
        let info = NetlinkAttribute.parse(attrs[3].payload[...])
        #expect(info[0].payload == Array("veth".utf8))
        let data = NetlinkAttribute.parse(info[1].payload[...])
        #expect(data.count == 1 && data[0].type == RT.vethInfoPeer && data[0].payload.count == peerLength - 4)
        let peer = NetlinkAttribute.parse(data[0].payload[16...])
        #expect(peer.map(\.type) == [RT.iflaMTU, RT.iflaNetNSFd, RT.iflaIfname])
        #expect(peer[1].payload == [7, 0, 0, 0])
    }

    @Test func addressMatchesIproute2() {
        // ip addr add 10.98.0.1/32 dev <index 1>  (no broadcast for /32)
        let expected = Self.hex("""
            28000000 1400 0506 00000000 00000000
            02 20 00 00 01000000
            0800 0200 0a620001
            0800 0100 0a620001
            """)
        #expect(NetlinkMessage.newAddress(IPv4Address(10, 98, 0, 1), prefix: 32, index: 1).encoded() == expected)
    }

    @Test func addressWithBroadcast() {
        // ip addr add 10.98.0.1/24 brd + dev <index 3>
        let expected = Self.hex("""
            30000000 1400 0506 00000000 00000000
            02 18 00 00 03000000
            0800 0200 0a620001
            0800 0100 0a620001
            0800 0400 0a6200ff
            """)
        #expect(NetlinkMessage.newAddress(IPv4Address(10, 98, 0, 1), prefix: 24, index: 3).encoded() == expected)
    }

    @Test func defaultRouteMatchesIproute2() {
        // ip route add default via 10.0.0.1 dev <index 1>
        let expected = Self.hex("""
            2c000000 1800 0506 00000000 00000000
            02 00 00 00 fe 03 00 01 00000000
            0800 0500 0a000001
            0800 0400 01000000
            """)
        #expect(NetlinkMessage.newDefaultRoute(via: IPv4Address(10, 0, 0, 1), index: 1).encoded() == expected)
    }

    @Test func linkUpAndDelete() {
        let up = NetlinkMessage.setLink(index: 9, up: true).encoded()
        #expect(up == Self.hex("20000000 1000 0500 00000000 00000000  00 00 0000 09000000 01000000 01000000"))
        let del = NetlinkMessage.deleteLink(name: "brt-1").encoded()
        #expect(del == Self.hex("2c000000 1100 0500 00000000 00000000  00 00 0000 00000000 00000000 00000000  0a00 0300 6272742d 31000000"))
    }

    @Test func vethCreatedUpSetsUpOnTheFirstEndOnly() {
        let m = NetlinkMessage.newVeth(name: "a", peer: "eth0", peerNamespace: .fd(7), peerMAC: nil, mtu: nil, master: 5, up: true)
        let bytes = m.encoded()
        // ifinfomsg after the 16-byte nlmsghdr: family, pad, type, index, flags, change.
        #expect(Array(bytes[24..<32]) == [1, 0, 0, 0, 1, 0, 0, 0])
        let attrs = NetlinkAttribute.parse(bytes[32...])
        let info = NetlinkAttribute.parse(attrs[2].payload[...])
        let peer = NetlinkAttribute.parse(info[1].payload[...])[0].payload
        #expect(Array(peer[8..<16]) == [UInt8](repeating: 0, count: 8))
        // Without `up` both stay as iproute2 sends them (all zero).
        let down = NetlinkMessage.newVeth(name: "a", peer: "eth0", peerNamespace: .fd(7), peerMAC: nil, mtu: nil, master: 5)
        #expect(Array(down.encoded()[24..<32]) == [UInt8](repeating: 0, count: 8))
    }

    @Test func vethWithSingleQueuesOnBothEnds() {
        // ip link add a numtxqueues 1 numrxqueues 1 type veth peer name eth0 numtxqueues 1 numrxqueues 1
        let m = NetlinkMessage.newVeth(name: "a", peer: "eth0", peerNamespace: .fd(7), peerMAC: nil, mtu: nil, master: nil,
                                       singleQueue: true)
        let bytes = m.encoded()
        let attrs = NetlinkAttribute.parse(bytes[32...])
        #expect(attrs.map(\.type) == [RT.iflaNumTxQueues, RT.iflaNumRxQueues, RT.iflaIfname, RT.iflaLinkinfo])
        #expect(attrs[0].payload == [1, 0, 0, 0] && attrs[1].payload == [1, 0, 0, 0])
        let info = NetlinkAttribute.parse(attrs[3].payload[...])
        let peer = NetlinkAttribute.parse(NetlinkAttribute.parse(info[1].payload[...])[0].payload[16...])
        #expect(peer.map(\.type) == [RT.iflaNumTxQueues, RT.iflaNumRxQueues, RT.iflaNetNSFd, RT.iflaIfname])
    }

    @Test func linkUpByName() {
        // ip link set dev lo up, by name: index 0, IFF_UP in flags and change.
        #expect(NetlinkMessage.setLinkUp(name: "lo").encoded()
            == Self.hex("28000000 1000 0500 00000000 00000000  00 00 0000 00000000 01000000 01000000  0700 0300 6c6f0000"))
    }

    struct BatchCase: CustomTestStringConvertible, Sendable {
        let name: String
        let messages: [NetlinkMessage]
        let first: UInt32
        var testDescription: String { name }
    }

    @Test(arguments: [
        BatchCase(name: "one request", messages: [.setLinkUp(name: "lo")], first: 1),
        BatchCase(name: "address, lo, route (lengths not multiples of 4 in between)",
                  messages: [.newAddress(IPv4Address(10, 0, 0, 2), prefix: 24, index: 2), .setLinkUp(name: "lo"),
                             .setLinkUp(name: "eth10"), .newDefaultRoute(via: IPv4Address(10, 0, 0, 1), index: 2)],
                  first: 41),
        BatchCase(name: "sequence numbers wrap", messages: [.setLinkUp(name: "a"), .setLinkUp(name: "b")], first: UInt32.max),
    ])
    func batchIsTheMessagesBackToBackWithAcksAndConsecutiveNumbers(_ c: BatchCase) {
        let bytes = NetlinkSocket.batch(c.messages, first: c.first)
        let replies = NetlinkReply.split(bytes)
        #expect(replies.count == c.messages.count)
        var expected: [UInt8] = []
        for (i, var m) in c.messages.enumerated() {
            m.sequence = c.first &+ UInt32(i)
            m.flags |= RT.ack
            let e = m.encoded()
            expected += e + [UInt8](repeating: 0, count: NetlinkEncoding.align(e.count) - e.count)
            #expect(replies[i].sequence == c.first &+ UInt32(i))
            #expect(replies[i].flags & RT.ack == RT.ack)
            #expect(replies[i].type == c.messages[i].type)
        }
        #expect(bytes == expected)
        #expect(bytes.count % 4 == 0)
    }

    @Test func parsesAckErrorAndLink() {
        // NLMSG_ERROR with error -17 (EEXIST), then a link message.
        var bytes = Self.hex("24000000 0200 0000 01000000 00000000 efffffff") + [UInt8](repeating: 0, count: 16)
        bytes += Self.hex("""
            2c000000 1000 0000 02000000 00000000
            00 00 0100 07000000 01000000 01000000
            0a00 0300 6272742d 61000000
            """)
        let replies = NetlinkReply.split(bytes)
        #expect(replies.count == 2)
        #expect(replies[0].errorCode == 17)
        let link = LinkControl.linkInfo(replies[1])
        #expect(link?.name == "brt-a" && link?.index == 7 && link?.up == true)
    }
}
