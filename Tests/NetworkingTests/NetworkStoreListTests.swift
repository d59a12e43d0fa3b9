import Diagnostics
import Foundation
import IPAddress
@testable import Networking
import Testing

/// `NetworkStore.list` reads `<root>/networks/<id>.json` only: a temp file
/// of an atomic write (`.tmp-<pid>-<id>.json`, left behind when berth is
/// killed mid-write) is never a second copy of the record.
@Suite struct NetworkStoreListTests {
    @Test func aLeftoverTempFileIsNotASecondRecord() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("berth-netlist-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = NetworkStore(paths: StatePaths(root: root + "/root", run: root + "/run"))
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let plan = AddressPlan(subnet: try #require(IPv4Subnet("172.30.0.0/16")), gateway: IPv4Address(172, 30, 0, 1),
                               ipRange: nil, loopbackAlias: IPv4Address(172, 30, 255, 254), subnet6: nil, gateway6: nil)
        let record = NetworkRecord(id: "0123456789ab", name: "demo_default", driver: "bridge", created: "", labels: [:],
                                   isInternal: false, plan: plan, bridge: "brt-01234567", mtu: nil, endpoints: [:])
        let data = try JSONEncoder().encode(record)
        try data.write(to: URL(fileURLWithPath: store.recordPath(record.id)))
        try data.write(to: URL(fileURLWithPath: store.directory + "/.tmp-4242-\(record.id).json"))
        #expect(try store.list().map(\.id) == [record.id])
        #expect(try store.inspect("demo_default").id == record.id)
    }
}
