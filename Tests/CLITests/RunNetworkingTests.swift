import Diagnostics
import Foundation
import Networking
import Runtime
import Testing
@testable import BerthCLI

/// `berth run` network flags into a plan, Docker's rules (no kernel, no state
/// beyond an empty temporary root).
@Suite struct RunNetworkingTests {
    static let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    static let paths = StatePaths(root: NSTemporaryDirectory() + "berth-cli-runnet/root",
                                  run: NSTemporaryDirectory() + "berth-cli-runnet/run")

    func resolve(_ f: RunNetworking.Flags) throws -> RunNetworking {
        try RunNetworking.resolve(f, id: Self.id, containerDirectory: "/c", paths: Self.paths,
                                  store: ContainerStore(paths: Self.paths))
    }

    @Test func defaultJoinsBridgeWithThePinnedNamespaceAndOwnFiles() throws {
        let n = try resolve(RunNetworking.Flags())
        #expect(n.kind == .network("bridge"))
        #expect(n.mode == .join(path: Self.paths.run + "/netns/" + Self.id))
        #expect(n.hostname == "0123456789ab")
        #expect(n.mounts.map(\.destination) == ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"])
        #expect(n.mounts.map(\.source) == ["/c/hosts", "/c/hostname", "/c/resolv.conf"])
    }

    @Test func noneKeepsItsHostnameAndFiles() throws {
        var f = RunNetworking.Flags()
        f.network = "none"
        f.hostname = "box"
        let n = try resolve(f)
        #expect(n.kind == .none && n.mode == .none && n.hostname == "box" && n.mounts.count == 3)
    }

    struct AddHostCase: Sendable, CustomTestStringConvertible {
        var flag: String
        var name: String?
        var address: String?
        var testDescription: String { flag }
    }

    @Test(arguments: [
        AddHostCase(flag: "db:10.0.0.1", name: "db", address: "10.0.0.1"),
        AddHostCase(flag: "db=10.0.0.1", name: "db", address: "10.0.0.1"),
        AddHostCase(flag: "v6:[fd00::1]", name: "v6", address: "fd00::1"),
        AddHostCase(flag: "v6=fd00::1", name: "v6", address: "fd00::1"),
        AddHostCase(flag: "gw:host-gateway", name: "gw", address: "host-gateway"),
        AddHostCase(flag: "nohost"),
        AddHostCase(flag: "db:not-an-ip"),
        AddHostCase(flag: ":10.0.0.1"),
    ])
    func addHost(_ c: AddHostCase) throws {
        var f = RunNetworking.Flags()
        f.addHosts = [c.flag]
        if let name = c.name, let address = c.address {
            let n = try resolve(f)
            #expect(n.extraHosts.count == 1 && n.extraHosts[0].name == name && n.extraHosts[0].address == address)
        } else {
            #expect(throws: UserError.self) { try resolve(f) }
        }
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        var name: String
        var flags: RunNetworking.Flags
        var message: String
        var testDescription: String { name }
    }

    static let refusalCases: [RefusalCase] = [
        RefusalCase(name: "--ip on the default bridge", flags: .init(ip: "172.17.0.9"), message: "user defined networks only"),
        RefusalCase(name: "--network-alias on the default bridge", flags: .init(aliases: ["x"]), message: "user defined networks only"),
        RefusalCase(name: "--mac-address with host", flags: .init(network: "host", macAddress: "02:42:00:00:00:01"),
                    message: "conflicting options: mac-address"),
        RefusalCase(name: "invalid MAC", flags: .init(macAddress: "02:42:zz:00:00:01"), message: "invalid MAC address"),
        RefusalCase(name: "invalid --ip", flags: .init(ip: "300.1.1.1"), message: "invalid IP address"),
        RefusalCase(name: "unknown network", flags: .init(network: "nope"), message: "network nope not found"),
        RefusalCase(name: "bad -p", flags: .init(publish: ["80:8o"]), message: "-p, --publish"),
    ]

    @Test(arguments: refusalCases) func refusals(_ c: RefusalCase) throws {
        do {
            _ = try resolve(c.flags)
            Issue.record("accepted")
        } catch let e as UserError {
            #expect(e.exitCode == 125 && e.message.contains(c.message), "\(e.message)")
        }
    }

    @Test func publishAllAddsExposedPortsOnce() throws {
        let n = try resolve(.init(publish: ["8080:80"], publishAll: true, exposed: ["80/tcp", "53/udp"]))
        #expect(n.ports.count == 2)
        #expect(n.ports[0].hostPorts == 8080...8080 && n.ports[0].containerPorts == 80...80)
        #expect(n.ports[1].hostPorts == nil && n.ports[1].containerPorts == 53...53 && n.ports[1].proto == .udp)
    }
}
