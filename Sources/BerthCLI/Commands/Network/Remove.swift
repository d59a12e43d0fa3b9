import ArgumentParser
import Diagnostics
import Foundation
import Networking

/// `berth network rm`.
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
