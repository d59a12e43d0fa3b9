import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose ls`: the compose projects on this machine, found from
/// the project labels of the containers in berth's store.
struct ComposeLsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List running compose projects.")

    // Accepted (and not needed) so global `-p`/`-f` before `compose ls` work as with Compose.
    @OptionGroup(visibility: .hidden) var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Show all stopped Compose projects.") var all = false
    @Flag(name: .shortAndLong, help: "Only display project names.") var quiet = false
    @Option(name: .long, help: "Format the output. Values: [table | json]") var format = "table"
    @Option(name: .long, help: "Filter output based on conditions provided (name=…).") var filter: [String] = []

    func validate() throws {
        guard format == "table" || format == "json" else {
            throw ValidationError("invalid --format \"\(format)\": expected table or json")
        }
        for f in filter where !f.hasPrefix("name=") {
            throw ValidationError("invalid filter \"\(f)\": only name=… is supported")
        }
    }

    func run() async throws {
        try requireRoot("berth compose ls")
        let containers = try ComposeDriver.projectContainers(
            paths: state.paths, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let name = filter.last.map { String($0.dropFirst("name=".count)) }
        let rows = ProjectListing.rows(containers, all: all, nameFilter: name)
        if quiet {
            writeStdout(rows.map { $0.name + "\n" }.joined())
            return
        }
        if format == "json" {
            let items = rows.map { row -> String in
                var text = "{"
                for (i, (k, v)) in [("Name", row.name), ("Status", row.status), ("ConfigFiles", row.configFiles)].enumerated() {
                    if i > 0 { text += "," }
                    RecordJSON.quote(k, into: &text)
                    text += ":"
                    RecordJSON.quote(v, into: &text)
                }
                return text + "}"
            }
            writeStdout("[" + items.joined(separator: ",") + "]\n")
            return
        }
        writeStdout(renderTable([["NAME", "STATUS", "CONFIG FILES"]] + rows.map { [$0.name, $0.status, $0.configFiles] }))
    }
}
