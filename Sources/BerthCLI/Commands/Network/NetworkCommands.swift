import ArgumentParser
import Diagnostics
import Foundation
import Networking

/// `berth network …`: Docker's network commands over berth's NetworkStore.
enum NetworkCommands {
    static var all: [ParsableCommand.Type] { [NetworkCommand.self] }
}

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        subcommands: [NetworkCreate.self, NetworkList.self, NetworkRemove.self, NetworkInspect.self, NetworkPrune.self])
}

extension StateOptions {
    /// The network store for these state paths.
    var networkStore: NetworkStore { NetworkStore(paths: paths) }
}

/// Runs `body`, turning networking errors into user-facing ones.
func withNetworkErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as NetworkError {
        throw UserError(e.message)
    } catch let e as NFTables.CommandError {
        throw UserError(e.description)
    }
}

/// `--filter key=value` as Docker understands it for networks.
struct NetworkFilter {
    var pairs: [(String, String)]

    init(_ raw: [String]) throws {
        pairs = try raw.map { f in
            guard let eq = f.firstIndex(of: "=") else { throw ValidationError("bad format of filter (expected name=value): \(f)") }
            let key = String(f[..<eq]), value = String(f[f.index(after: eq)...])
            guard ["name", "id", "label", "driver", "type", "dangling"].contains(key) else {
                throw ValidationError("invalid filter '\(key)'")
            }
            return (key, value)
        }
    }

    /// Filters of the same key are ORed, different keys ANDed (Docker's rule).
    func matches(_ n: NetworkRecord) -> Bool {
        let byKey = Dictionary(grouping: pairs, by: \.0)
        return byKey.allSatisfy { key, values in
            values.contains { _, v in
                switch key {
                case "name": n.name.contains(v)
                case "id": n.id.hasPrefix(v)
                case "driver": n.driver == v
                case "type": v == "custom"
                case "dangling": (v == "true" || v == "1") == n.endpoints.isEmpty
                case "label":
                    if let eq = v.firstIndex(of: "=") {
                        n.labels[String(v[..<eq])] == String(v[v.index(after: eq)...])
                    } else {
                        n.labels[v] != nil
                    }
                default: false
                }
            }
        }
    }
}

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

struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])

    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Only display network IDs.") var quiet = false
    @Option(help: "Format output: table or json.") var format = "table"
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. name=web, label=k=v).") var filter: [String] = []
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate the output.") var noTrunc = false

    func run() throws {
        try requireRoot("berth network ls")
        let f = try NetworkFilter(filter)
        let nets = try withNetworkErrors { try state.networkStore.list() }.filter(f.matches)
        let id = { (n: NetworkRecord) in noTrunc ? n.id : String(n.id.prefix(12)) }
        if quiet {
            for n in nets { print(id(n)) }
            return
        }
        switch format {
        case "json":
            for n in nets {
                let labels = n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                let row: [String: String] = [
                    "CreatedAt": n.created, "Driver": n.driver, "ID": id(n), "IPv6": "\(n.plan.subnet6 != nil)",
                    "Internal": "\(n.isInternal)", "Labels": labels, "Name": n.name, "Scope": "local",
                ]
                print(try jsonLine(row))
            }
        case "table":
            let rows = [["NETWORK ID", "NAME", "DRIVER", "SCOPE"]] + nets.map { [id($0), $0.name, $0.driver, "local"] }
            printTable(rows)
        default:
            throw ValidationError("invalid --format \"\(format)\": expected table or json")
        }
    }
}

struct NetworkRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks.", aliases: ["remove"])

    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Do not error if the network does not exist.") var force = false
    @Argument(help: "Networks to remove.") var networks: [String]

    func run() throws {
        try requireRoot("berth network rm")
        let store = state.networkStore
        var failures: [String] = []
        for n in networks {
            do {
                try withNetworkErrors { try store.remove(n) }
                print(n)
            } catch let e as UserError {
                if force && e.message.hasSuffix("not found") { continue }
                failures.append(e.message)
            }
        }
        if !failures.isEmpty { throw UserError(failures.joined(separator: "\n")) }
    }
}

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

struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.")

    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(help: "Provide filter values (e.g. label=k=v).") var filter: [String] = []

    func run() throws {
        try requireRoot("berth network prune")
        let f = try NetworkFilter(filter)
        if !force {
            print("WARNING! This will remove all custom networks not used by at least one container.")
            print("Are you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { return }
        }
        let removed = try withNetworkErrors { try state.networkStore.prune(where: { !f.matches($0) }) }
        if !removed.isEmpty {
            print("Deleted Networks:")
            for n in removed { print(n) }
        }
    }
}

/// One JSON object on one line, keys sorted (`--format json`).
func jsonLine(_ object: [String: String]) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

/// Left-aligned columns separated by at least three spaces, like docker's tables.
func printTable(_ rows: [[String]]) {
    guard let width = rows.first?.count else { return }
    let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
    for r in rows {
        var line = ""
        for (c, cell) in r.enumerated() {
            line += c == width - 1 ? cell : cell.padding(toLength: widths[c] + 3, withPad: " ", startingAt: 0)
        }
        print(line)
    }
}
