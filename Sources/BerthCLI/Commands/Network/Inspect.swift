import ArgumentParser
import Diagnostics
import Foundation
import IPAddress
import Networking

/// `berth network inspect`: Docker's JSON layout.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks.")

    @OptionGroup var state: StateOptions
    @Option(name: .shortAndLong, help: "Format output (only json).") var format = "json"
    @Argument(help: "Networks to inspect.") var networks: [String]

    func run() throws {
        try requireRoot("berth network inspect")
        guard format == "json" else { throw ValidationError("invalid --format \"\(format)\": berth supports json") }
        let store = state.networkStore
        var out: [[String: Any]] = []
        var missing: [String] = []
        for n in networks {
            do {
                out.append(NetworkInspect.docker(try withNetworkErrors { try store.inspect(n) }))
            } catch let e as UserError {
                missing.append(e.message)
            }
        }
        let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
        if !missing.isEmpty { throw UserError(missing.joined(separator: "\n")) }
    }

    /// Docker's `network inspect` layout.
    static func docker(_ n: NetworkRecord) -> [String: Any] {
        var config: [[String: String]] = [["Subnet": n.plan.subnet.description, "Gateway": n.plan.gateway.description]]
        if let r = n.plan.ipRange { config[0]["IPRange"] = r.description }
        if let s6 = n.plan.subnet6, let g6 = n.plan.gateway6 { config.append(["Subnet": s6.description, "Gateway": g6.description]) }
        var containers: [String: Any] = [:]
        for e in n.endpoints.values {
            containers[e.containerID] = [
                "Name": e.containerName, "EndpointID": e.hostInterface, "MacAddress": e.mac.description,
                "IPv4Address": "\(e.ipv4)/\(n.plan.subnet.prefix)",
                "IPv6Address": e.ipv6.map { "\($0)/\(n.plan.subnet6?.prefix ?? 64)" } ?? "",
            ]
        }
        var options = ["com.docker.network.bridge.name": n.bridge]
        if let mtu = n.mtu { options["com.docker.network.driver.mtu"] = "\(mtu)" }
        return [
            "Name": n.name, "Id": n.id, "Created": n.created, "Scope": "local", "Driver": n.driver,
            "EnableIPv4": true, "EnableIPv6": n.plan.subnet6 != nil,
            "IPAM": ["Driver": "default", "Options": [String: String](), "Config": config],
            "Internal": n.isInternal, "Attachable": false, "Ingress": false, "ConfigFrom": ["Network": ""], "ConfigOnly": false,
            "Containers": containers, "Options": options, "Labels": n.labels,
        ]
    }
}
