import ArgumentParser

/// `berth version`: prints the version, as `docker compose version` does.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the berth version information.")

    @Option(name: .shortAndLong, help: "Format the output. Values: [pretty | json]")
    var format: String = "pretty"

    @Flag(name: .long, help: "Shows only berth's version number.")
    var short = false

    func run() throws {
        if short {
            print(BerthVersion.current)
        } else if format == "json" {
            print("{\"version\":\"\(BerthVersion.current)\"}")
        } else if format == "pretty" {
            print("berth version \(BerthVersion.current)")
        } else {
            throw ValidationError("invalid --format \"\(format)\": expected pretty or json")
        }
    }
}
