import Diagnostics
import Foundation
import IPAddress
import JSONCoding
@testable import Networking
import SystemCalls
import Testing

/// `NetworkStore.list` reads `<root>/networks/<id>.json` only: a temp file
/// of an atomic write (`.tmp-<pid>-<id>.json`, left behind when berth is
/// killed mid-write) is never a second copy of the record.
@Suite struct NetworkStoreListTests {
    static func temporaryRoot() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("berth-netlist-\(UUID().uuidString)").path
    }

    /// A store under `root` with its directory made.
    static func store(under root: String) throws -> NetworkStore {
        let store = NetworkStore(paths: StatePaths(root: root + "/root", run: root + "/run"))
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        return store
    }

    static let plan = AddressPlan(subnet: IPv4Subnet("172.30.0.0/16")!, gateway: IPv4Address(172, 30, 0, 1), ipRange: nil,
                                  loopbackAlias: IPv4Address(172, 30, 255, 254), subnet6: nil, gateway6: nil)

    /// The network record the tests save and read back.
    static func demoRecord(labels: [String: String] = [:]) -> NetworkRecord {
        NetworkRecord(id: "0123456789ab", name: "demo_default", driver: "bridge", created: "", labels: labels,
                      isInternal: false, plan: plan, bridge: "brt-01234567", mtu: nil, endpoints: [:])
    }

    @Test func aLeftoverTempFileIsNotASecondRecord() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Self.store(under: root)
        let record = Self.demoRecord()
        let data = try JSONEncoder().encode(record)
        try data.write(to: URL(fileURLWithPath: store.recordPath(record.id)))
        try data.write(to: URL(fileURLWithPath: store.directory + "/.tmp-4242-\(record.id).json"))
        #expect(try store.list().map(\.id) == [record.id])
        #expect(try store.inspect("demo_default").id == record.id)
    }

    struct TornCase: CustomTestStringConvertible, Sendable {
        let name: String
        /// What a power loss left of the record.
        let contents: [UInt8]
        let withDefinition: Bool
        var testDescription: String { name }
    }

    /// Endpoint changes are saved without an fsync; the definition copy
    /// (fsynced, no endpoints) is what `list` reads when the record is torn.
    @Test(arguments: [
        TornCase(name: "empty record, definition copy", contents: [], withDefinition: true),
        TornCase(name: "cut record, definition copy", contents: Array("{\"id\":\"01".utf8), withDefinition: true),
        TornCase(name: "zeros, definition copy", contents: [UInt8](repeating: 0, count: 64), withDefinition: true),
        TornCase(name: "empty record, no copy", contents: [], withDefinition: false),
    ])
    func aTornRecordReadsAsItsDefinition(_ c: TornCase) throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Self.store(under: root)
        let endpoint = Endpoint(containerID: "c1", containerName: "web-1", interface: "eth0", hostInterface: "brtv0123456",
                                ipv4: IPv4Address(172, 30, 0, 2), ipv6: nil,
                                mac: try #require(MACAddress("02:42:ac:1e:00:02")), aliases: [], ports: [])
        var record = Self.demoRecord(labels: ["a": "b"])
        record.predefined = true
        var attached = record
        attached.endpoints["c1"] = endpoint
        if c.withDefinition {
            // An endpoint change: the record with it, its missing copy without.
            try store.save(attached)
            #expect(try store.list() == [attached])
            #expect(store.readDefinition(id: record.id) == record)
        } else {
            try Data(NetworkStore.encode(attached)).write(to: URL(fileURLWithPath: store.recordPath(record.id)))
        }
        try Data(c.contents).write(to: URL(fileURLWithPath: store.recordPath(record.id)))
        if c.withDefinition {
            #expect(try store.list() == [record])
            // The next save writes the whole record again.
            try store.save(attached)
            #expect(try store.list() == [attached])
        } else {
            #expect(throws: NetworkError.self) { try store.list() }
        }
    }

    /// An unsynced save rewrites the record's previous version in place and
    /// exchanges the two names: every save after the first is served by the
    /// same two inodes (no inode made or freed), whatever the lengths, and
    /// `list` reads only the record.
    @Test func savesExchangeTheRecordWithItsPreviousVersion() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Self.store(under: root)
        var record = Self.demoRecord()
        func inode(_ path: String) -> UInt64 {
            var st = stat()
            return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
        }
        try store.save(record)
        #expect(!FileManager.default.fileExists(atPath: store.sparePath(record.id)))
        var inodes = Set<UInt64>()
        var previous = record
        for length in [300, 10, 2000, 0, 50] {
            record.labels["n"] = String(repeating: "x", count: length)
            try store.save(record)
            inodes.insert(inode(store.recordPath(record.id)))
            #expect(try store.list() == [record])
            #expect(try NetworkStore.decode(Sys.readBytes(store.sparePath(record.id))) == previous)
            previous = record
        }
        #expect(inodes.count == 2)
        // A record removed by hand: the next save writes it again.
        try FileManager.default.removeItem(atPath: store.recordPath(record.id))
        record.labels = [:]
        try store.save(record)
        #expect(try store.list() == [record])
    }

    /// `list` reads records through JSONCoding first; it must give what
    /// JSONDecoder gives for what berth writes (`NetworkStore.encode`), and
    /// what berth writes must read back the same through JSONDecoder.
    @Test func recordsReadThroughJSONCodingEqualJSONDecoders() throws {
        let plan = AddressPlan(subnet: try #require(IPv4Subnet("172.30.0.0/16")), gateway: IPv4Address(172, 30, 0, 1),
                               ipRange: IPv4Subnet("172.30.5.0/24"), loopbackAlias: IPv4Address(172, 30, 255, 254),
                               subnet6: IPv6Subnet("fd00:1::/64"), gateway6: IPv6Address("fd00:1::1"))
        let endpoint = Endpoint(containerID: String(repeating: "c", count: 64), containerName: "web-1", interface: "eth0",
                                hostInterface: "brtv0123456", ipv4: IPv4Address(172, 30, 0, 2),
                                ipv6: IPv6Address("fd00:1::2"), mac: try #require(MACAddress("02:42:ac:1e:00:02")),
                                aliases: ["web", "w \u{e9}\"q\""],
                                ports: [PortBinding(hostIP: IPv4Address(0), hostPort: 8080, containerPort: 80, proto: .tcp),
                                        PortBinding(hostIP: .anyIPv6, hostPort: 53, containerPort: 53, proto: .udp)])
        var record = NetworkRecord(id: String(repeating: "0", count: 64), name: "demo_default", driver: "bridge",
                                   created: "2026-11-25T12:00:00.123Z", labels: ["com.docker.compose.network": "default", "e": ""],
                                   isInternal: true, plan: plan, bridge: "brt-01234567", mtu: 1400,
                                   endpoints: [endpoint.containerID: endpoint, "x": endpoint])
        record.predefined = true
        record.dormant = false
        let minimal = NetworkRecord(id: "0123456789ab", name: "n", driver: "bridge", created: "", labels: [:],
                                    isInternal: false, plan: plan, bridge: "brt-1", mtu: nil, endpoints: [:])
        for r in [record, minimal] {
            for data in [Data(try NetworkStore.encode(r)), try JSONEncoder().encode(r)] {
                let lenient = try #require(RecordCoding.decodeIfReadable(NetworkRecord.self, from: [UInt8](data)))
                #expect(lenient == (try JSONDecoder().decode(NetworkRecord.self, from: data)))
                #expect(lenient == r)
            }
        }
        #expect(RecordCoding.decodeIfReadable(NetworkRecord.self, from: Array("{\"id\":1}".utf8)) == nil)
    }
}
