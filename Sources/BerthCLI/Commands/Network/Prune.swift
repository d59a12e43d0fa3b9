import ArgumentParser
import Diagnostics
import Foundation
import Networking

/// `berth network prune`.
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
        try withNetworkErrors { try RunNetworking.sweepStale(paths: state.paths) }
        let removed = try withNetworkErrors { try state.networkStore.prune(where: { !f.matches($0) }) }
        if !removed.isEmpty {
            print("Deleted Networks:")
            for n in removed { print(n) }
        }
    }
}
