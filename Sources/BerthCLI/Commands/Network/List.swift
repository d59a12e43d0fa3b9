import ArgumentParser
import Diagnostics
import Foundation
import Networking

/// `berth network ls`.
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
