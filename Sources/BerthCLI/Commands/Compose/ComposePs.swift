import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose ps`: the project's containers, like `docker compose ps`.
struct ComposePsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Show all stopped containers.") var all = false
    @Flag(name: .shortAndLong, help: "Only display IDs.") var quiet = false
    @Flag(name: .long, help: "Display services.") var services = false
    @Option(name: .long, help: "Filter services by status.") var status: [String] = []
    @Option(name: .long, help: "Format the output. Values: [table | json]") var format = "table"
    @Argument(help: "Services to list.") var selected: [String] = []

    func run() async throws {
        try requireRoot("berth compose ps")
        let p = try project.load().project
        let driver = ComposeDriver(paths: state.paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let rows = try driver.actualContainers().filter { entry in
            (selected.isEmpty || selected.contains(entry.actual.service))
                && (all || isUp(entry.actual.status))
                && (status.isEmpty || status.contains(stateWord(entry.actual.status)))
        }.sorted { $0.record.name < $1.record.name }
        let now = Timestamp.now()
        if quiet { rows.forEach { print($0.record.id) }; return }
        if services { Set(rows.map(\.actual.service)).sorted().forEach { print($0) }; return }
        if format == "json" {
            let items = rows.map { entry -> String in
                let fields: [(String, String)] = [
                    ("ID", entry.record.id), ("Name", entry.record.name), ("Image", entry.record.image),
                    ("Command", entry.record.process.args.joined(separator: " ")), ("Project", p.name),
                    ("Service", entry.actual.service), ("State", stateWord(entry.actual.status)),
                    ("Status", status(entry.record, driver: driver, now: now)),
                    ("Publishers", ports(entry.record, driver: driver)),
                ]
                var text = "{"
                for (i, (k, v)) in fields.enumerated() {
                    if i > 0 { text += "," }
                    RecordJSON.quote(k, into: &text)
                    text += ":"
                    RecordJSON.quote(v, into: &text)
                }
                return text + "}"
            }
            print("[" + items.joined(separator: ",") + "]")
            return
        }
        guard format == "table" else { throw ValidationError("invalid --format \"\(format)\": expected table or json") }
        // Compose's columns: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS.
        let table = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]] + rows.map { entry in
            let command = entry.record.process.args.joined(separator: " ")
            return [entry.record.name, entry.record.image,
                    "\"" + (command.count > 20 ? String(command.prefix(19)) + "…" : command) + "\"",
                    entry.actual.service, HumanDuration.format(now - entry.record.created) + " ago",
                    status(entry.record, driver: driver, now: now), ports(entry.record, driver: driver)]
        }
        let last = table[0].count - 1
        let widths = (0...last).map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            print(row.enumerated().map { c, cell in
                c == last ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "   "))
        }
    }

    /// Docker's wording: `Up 5 seconds`, `Exited (0) 2 minutes ago`, ….
    func status(_ record: ContainerRecord, driver: ComposeDriver, now: Timestamp) -> String {
        guard let state = try? driver.state(record) else { return "Dead" }
        return ContainerPresentation.status(state, now: now)
    }

    /// `127.0.0.1:8080->8080/tcp, …`.
    func ports(_ record: ContainerRecord, driver: ComposeDriver) -> String {
        ((try? driver.publishedPorts(record)) ?? []).map(\.description).joined(separator: ", ")
    }
}

/// `berth compose logs`: the project's output, by service, prefixed and colored.
struct ComposeLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "View output from containers.")

    // `-f` is --follow here, as in `docker compose logs -f`; the compose file is `--file`.
    @Option(name: .customLong("file"), help: "Compose configuration files.") var file: [String] = []
    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Alternate working directory.") var projectDirectory: String?
    @Option(name: .customLong("profile"), help: "Enable a profile.") var profile: [String] = []
    @Option(name: .customLong("env-file"), help: "Alternate environment file.") var envFile: [String] = []
    @OptionGroup var state: StateOptions
    @Flag(name: .shortAndLong, help: "Follow log output.") var follow = false
    @Flag(name: .shortAndLong, help: "Show timestamps.") var timestamps = false
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output.") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Don't print prefix in logs.") var noLogPrefix = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs for each container.")
    var tail: String = "all"
    @Option(name: .long, help: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).")
    var since: String?
    @Option(name: .long, help: "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).")
    var until: String?
    @Argument(help: "Services to show.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose logs")
        let project = ProjectOptions(files: file, projectName: projectName, projectDirectory: projectDirectory,
                                     profiles: profile, envFiles: envFile)
        let p = try project.load().project
        let driver = ComposeDriver(paths: state.paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let tailLines: Int? = tail == "all" ? nil : Int(tail)
        if tail != "all" && tailLines == nil { throw ValidationError("invalid --tail \"\(tail)\"") }
        var logTail = LogTail(driver: driver, color: !noColor, timestamps: timestamps, prefix: !noLogPrefix)
        let now = Timestamp.now()
        logTail.since = try since.map { text in
            guard let t = JSONLogReader.parseTime(text, now: now) else { throw UserError("invalid value for \"since\": \(text)") }
            return t
        }
        logTail.until = try until.map { text in
            guard let t = JSONLogReader.parseTime(text, now: now) else { throw UserError("invalid value for \"until\": \(text)") }
            return t
        }
        let filter = services.isEmpty ? nil : Set(services)
        _ = try logTail.pump(fromStart: true, services: filter, tailLines: tailLines)
        while follow {
            try await Task.sleep(nanoseconds: 100_000_000)
            _ = try logTail.pump(fromStart: true, services: filter)
        }
    }
}
