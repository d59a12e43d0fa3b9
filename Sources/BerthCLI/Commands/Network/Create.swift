import ArgumentParser
import Diagnostics
import Foundation
import IPAddress
import Networking

/// `berth network create`.
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network.")

    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "Driver to manage the network (only \"bridge\").") var driver = "bridge"
    @Option(help: "Subnet in CIDR format.") var subnet: String?
    @Option(help: "IPv4 gateway for the subnet.") var gateway: String?
    @Option(name: .customLong("ip-range"), help: "Allocate container addresses from a sub-range.") var ipRange: String?
    @Flag(help: "Restrict external access to the network.") var `internal` = false
    @Flag(help: "Enable IPv6 networking.") var ipv6 = false
    @Option(help: "Set metadata on a network (key=value).") var label: [String] = []
    @Option(name: .shortAndLong, help: "Set driver specific options (com.docker.network.driver.mtu=N).") var opt: [String] = []
    @Argument(help: "Network name.") var name: String

    func run() throws {
        try requireRoot("berth network create")
        guard driver == "bridge" else { throw UserError("plugin \"\(driver)\" not found: berth supports the bridge driver only") }
        var request = IPAMRequest(enableIPv6: ipv6)
        if let subnet {
            if let s6 = IPv6Subnet(subnet) {
                request.subnet6 = s6
                request.enableIPv6 = true
            } else {
                guard let s = IPv4Subnet(subnet) else { throw UserError("invalid subnet \(subnet): expected CIDR like 172.30.0.0/16") }
                request.subnet = s
            }
        }
        if let gateway {
            guard let g = IPv4Address(gateway) else { throw UserError("invalid gateway \(gateway)") }
            guard request.subnet != nil else { throw UserError("--gateway needs --subnet") }
            request.gateway = g
        }
        if let ipRange {
            guard let r = IPv4Subnet(ipRange) else { throw UserError("invalid ip range \(ipRange)") }
            guard request.subnet != nil else { throw UserError("--ip-range needs --subnet") }
            request.ipRange = r
        }
        var labels: [String: String] = [:]
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        var mtu: UInt32?
        for o in opt {
            let parts = o.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == "com.docker.network.driver.mtu", let m = UInt32(parts[1]), (68...65535).contains(m) else {
                throw UserError("unsupported driver option \(o) (berth knows com.docker.network.driver.mtu=N)")
            }
            mtu = m
        }
        let record = try withNetworkErrors {
            try state.networkStore.create(name: name, options: NetworkOptions(ipam: request, isInternal: `internal`, labels: labels, mtu: mtu))
        }
        print(record.id)
    }
}
