import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose top`: the processes of each running container of the
/// project: the container's name, then its process table (as `berth top`).
struct ComposeTopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Argument(help: "Services to show.") var services: [String] = []

    func run() async throws {
        try requireRoot("berth compose top")
        let session = try ProjectSession(project, state)
        try session.check(services)
        var out = ""
        for entry in try session.driver.containers(of: services) where entry.actual.status == .running {
            guard let current = try? session.driver.state(entry.record), current.status == .running else { continue }
            var rows = [["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]]
            for p in ProcessTable.inNamespace(of: current.pid) {
                rows.append([p.user, String(p.pid), String(p.ppid), "0", p.startTime, p.tty, p.cpuTime, p.command])
            }
            out += entry.record.name + "\n" + renderTable(rows) + "\n"
        }
        writeStdout(out)
    }
}
