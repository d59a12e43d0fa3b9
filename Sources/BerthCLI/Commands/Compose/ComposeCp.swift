import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth compose cp [--index N] SERVICE:SRC DEST` / `SRC SERVICE:DEST`:
/// `berth cp` on a service's container (running or not, as compose does).
/// Without `--index`, a copy into the service goes to every container of
/// it, a copy out comes from the first (lowest number).
struct ComposeCpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files/folders between a service container and the local filesystem.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information).") var archive = false
    @Option(name: .long, help: "Index of the container if service has multiple replicas.") var index: Int?
    @Argument(help: ArgumentHelp(valueName: "source")) var source: String
    @Argument(help: ArgumentHelp(valueName: "destination")) var destination: String

    func run() throws {
        try requireRoot("berth compose cp")
        let p = try project.load().project
        let ctx = ContainerContext(state)
        switch (CpCommand.split(source), CpCommand.split(destination)) {
        case let ((service?, path), (nil, host)):
            let name = try containers(p, service, all: false)[0]
            try CpCommand.copy(ctx, from: CpCommand.Endpoint(container: name, path: path),
                               to: CpCommand.Endpoint(container: nil, path: host), archive: archive)
        case let ((nil, host), (service?, path)):
            for name in try containers(p, service, all: true) {
                try CpCommand.copy(ctx, from: CpCommand.Endpoint(container: nil, path: host),
                                   to: CpCommand.Endpoint(container: name, path: path), archive: archive)
            }
        default:
            throw UserError("copying between services or between host paths is not supported: one side must be SERVICE:PATH")
        }
    }

    /// The container `--index` names, else the first (or every) one;
    /// running or not.
    func containers(_ p: Project, _ service: String, all: Bool) throws -> [String] {
        guard p.service(named: service) != nil else { throw UserError("no such service: \(service)") }
        let driver = ComposeDriver(paths: state.paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let containers = try driver.actualContainers().map(\.actual)
            .filter { $0.service == service && !$0.oneOff }
            .sorted { $0.number < $1.number }
        if let index {
            guard let c = containers.first(where: { $0.number == index }) else {
                throw UserError("service \"\(service)\" has no container #\(index)")
            }
            return [c.name]
        }
        guard let first = containers.first else { throw UserError("service \"\(service)\" has no container") }
        return all ? containers.map(\.name) : [first.name]
    }
}
