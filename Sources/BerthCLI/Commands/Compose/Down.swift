import ArgumentParser
import Compose
import Engine
import Runtime

/// `berth down`: stops and removes the project's containers (dependents
/// first), then its networks; named volumes only with `-v`.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop and remove containers, networks.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Remove named volumes declared in the volumes section and anonymous volumes attached to containers.")
    var volumes = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers for services not defined in the Compose file.")
    var removeOrphans = false
    @Option(name: .shortAndLong, help: "Specify a shutdown timeout in seconds.")
    var timeout: Int?
    @Flag(name: .customLong("no-color"), help: "Produce monochrome output.")
    var noColor = false
    @Option(name: .customLong("rmi"), help: ArgumentHelp("Remove images used by services: \"local\" removes only images without a custom tag (built ones; berth builds none yet), \"all\" every image a service names.", valueName: "type"))
    var rmi: String?

    func validate() throws {
        if let rmi, rmi != "local" && rmi != "all" {
            throw ValidationError("invalid --rmi \"\(rmi)\": expected local or all")
        }
    }

    func run() async throws {
        try requireRoot("berth down")
        let p = try project.load().project
        let paths = state.paths
        let lock = try ProjectLock(paths: paths, project: p.name)
        defer { lock.release() }
        let driver = ComposeDriver(paths: paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
        let progress = ProgressPrinter(color: !noColor)
        let known = Set(p.services.map(\.name))
        let existing = try driver.actualContainers()
        for (_, orphan) in existing where !known.contains(orphan.service) && !removeOrphans {
            writeStderr("warning: found orphan container (\(orphan.name)) for this project; --remove-orphans removes it")
        }
        let byService = Dictionary(grouping: existing.filter { known.contains($0.actual.service) || removeOrphans },
                                   by: { $0.actual.service })
        let graph = try ServiceGraph(p)
        let orphans = Array(Set(byService.keys).subtracting(known)).sorted()
        // Dependents stop before what they depend on, service by service
        // rather than wave by wave: a service's containers get their stop
        // signal as soon as the containers of every service depending on it
        // have exited, and removal (records, network wiring) never delays a
        // stop. Services nothing depends on all stop at once.
        var dependents: [String: [String]] = [:]
        for (service, deps) in graph.dependencies {
            for dep in deps { dependents[dep, default: []].append(service) }
        }
        // Veths are left to the kernel, which deletes them with each
        // container's network namespace in one background batch; they are
        // awaited (or deleted) at the end.
        let leaving = Set(byService.values.flatMap { $0.map(\.record.id) })
        if !leaving.isEmpty { driver.prepareBridgeRetirement() }
        var allStops: [Task<Void, any Error>] = []
        let lazyLinks = try await withThrowingTaskGroup(of: [String].self) { group in
            var stopped: [String: Task<Void, any Error>] = [:]
            for service in graph.stopWaves().flatMap({ $0 }) + orphans {
                let after = (dependents[service] ?? []).compactMap { stopped[$0] }
                var containerStops: [Task<Void, any Error>] = []
                for (record, _) in byService[service] ?? [] {
                    let stop = Task {
                        for dependent in after { try await dependent.value }
                        progress.update("Container", record.name, .working("Stopping"))
                        try await driver.stop(record.name, timeout: timeout)
                    }
                    containerStops.append(stop)
                    allStops.append(stop)
                    group.addTask {
                        try await stop.value
                        progress.update("Container", record.name, .working("Removing"))
                        let links = try await driver.remove(record.name, volumes: volumes, lazyLinks: true)
                        progress.update("Container", record.name, .done("Removed"))
                        return links
                    }
                }
                // A service without containers still orders the ones around it.
                stopped[service] = Task {
                    for dependent in after { try await dependent.value }
                    for stop in containerStops { try await stop.value }
                }
            }
            // Once nothing runs any more, the bridges go while the
            // containers are being removed (the kernel takes 30–60 ms per bridge).
            let stops = allStops
            group.addTask {
                for stop in stops { try await stop.value }
                try await driver.retireBridges(leaving: leaving)
                return []
            }
            var links: [String] = []
            for try await more in group { links += more }
            return links
        }
        // The bridge can go while the kernel is still deleting the veths
        // (deleting a bridge releases its ports); they are awaited after.
        for network in try driver.removeNetworks() {
            progress.update("Network", network, .done("Removed"))
        }
        try driver.awaitLinksGone(lazyLinks)
        if volumes {
            for volume in driver.volumeNames() where try driver.removeVolume(volume) {
                progress.update("Volume", volume, .done("Removed"))
            }
        }
        if rmi == "all" {
            for image in driver.serviceImages() {
                switch driver.removeImage(image) {
                case .removed: progress.update("Image", image, .done("Removed"))
                case .absent: break
                case let .kept(why): writeStderr("warning: image \(image) kept: \(why)")
                }
            }
        }
        progress.finish()
    }
}
