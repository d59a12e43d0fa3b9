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
                case "type": v == (n.isPredefined ? "builtin" : "custom")
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
