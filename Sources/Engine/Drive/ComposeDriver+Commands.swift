import Compose
import Diagnostics
import Foundation
import Health
import ImageStore
import Networking
import Runtime

/// What the project-scoped commands (`start`, `stop`, `pause`, `kill`,
/// `port`, `images`, `ls`, `events`, `wait`…) need beyond `up`/`down`.
extension ComposeDriver {
    /// Throws `no such service: x` for the first name that is not a
    /// service of the project.
    public func checkServices(_ names: [String]) throws {
        for name in names where project.service(named: name) == nil {
            throw EngineError(service: name, "no such service: \(name)")
        }
    }

    /// The project's (non one-off) containers of `services` (all when
    /// empty), sorted by name.
    public func containers(of services: [String]) throws -> [(record: ContainerRecord, actual: ActualContainer)] {
        try actualContainers().filter { entry in
            !entry.actual.oneOff && (services.isEmpty || services.contains(entry.actual.service))
        }.sorted { $0.record.name < $1.record.name }
    }

    /// The container's state now (the store's view, checked against its monitor).
    public func state(_ record: ContainerRecord) throws -> ContainerState {
        try operations.snapshot(record).state
    }

    /// Freezes every process of the container.
    public func pause(_ name: String) throws {
        try operations.setPaused(record(named: name), true)
    }

    /// Thaws a paused container.
    public func unpause(_ name: String) throws {
        try operations.setPaused(record(named: name), false)
    }

    /// Sends `signal` to the container's main process.
    public func kill(_ name: String, signal: Int32) async throws {
        let record = try record(named: name)
        try operations.kill(record, signal: signal)
    }

    /// Docker's restart: stop (the stop signal, SIGKILL after `timeout`),
    /// then start again.
    public func restart(_ name: String, timeout: Int?) async throws {
        let record = try record(named: name)
        if try state(record).isActive { try await stop(name, timeout: timeout) }
        try await start(name)
    }

    /// The container's published ports.
    public func publishedPorts(_ record: ContainerRecord) throws -> [PortBinding] {
        try PortPublisher(store: networks).ports(containerID: record.id)
    }

    /// The stored image a container runs (looked up by its digest first,
    /// then by the reference it was created from); nil when gone.
    public func storedImage(of record: ContainerRecord) -> StoredImage? {
        if !record.imageDigest.isEmpty, let image = try? images.image(record.imageDigest) { return image }
        return try? images.image(record.image)
    }

    /// Every project container in the store, for `ls`.
    public static func projectContainers(paths: StatePaths, monitorExecutable: String) throws -> [ProjectListing.Container] {
        let store = ContainerStore(paths: paths)
        let operations = ContainerOperations(store: store, monitorExecutable: monitorExecutable)
        return try store.all().compactMap { record in
            guard let project = record.labels[ProjectLabels.project] else { return nil }
            let status = (try? operations.snapshot(record).state.status) ?? .dead
            return ProjectListing.Container(project: project, state: status == .removing ? "removing" : status.rawValue,
                                            configFiles: record.labels[ProjectLabels.configFiles] ?? "")
        }
    }

    /// What `events` compares between polls: the project's containers of
    /// `services` (all when empty), keyed by id, with the health their
    /// monitors record (`health_status` events).
    public func eventSnapshots(services: [String]) async throws -> [String: ContainerEvents.Snapshot] {
        var out: [String: ContainerEvents.Snapshot] = [:]
        for record in try containers.all() where record.labels[ProjectLabels.project] == project.name {
            let service = record.labels[ProjectLabels.service] ?? ""
            // One-off containers (`run`) are left out, as Compose does.
            guard services.isEmpty || services.contains(service), record.labels[ProjectLabels.oneOff] != "True" else { continue }
            guard let state = try? operations.snapshot(record).state else { continue }
            let health = record.healthcheck != nil && state.status == .running ? state.health?.status : nil
            out[record.id] = ContainerEvents.Snapshot(
                id: record.id, name: record.name, service: service, image: record.image, status: state.status,
                startedAt: state.startedAt, finishedAt: state.finishedAt, exitCode: state.exitCode,
                stoppedByUser: state.stoppedByUser, health: health)
        }
        return out
    }
}

extension ComposeDriver {
    /// What `down --rmi` did with one image reference.
    public enum ImageRemoval: Sendable, Equatable {
        case removed
        case absent
        /// Kept, with the reason (e.g. another container still uses it).
        case kept(String)
    }

    /// `down --rmi all`: the images the project's services name, each once, in service order.
    public func serviceImages() -> [String] {
        var seen = Set<String>()
        return project.services.compactMap(\.image).filter { seen.insert($0).inserted }
    }

    /// Removes an image the project used (not forced: an image another
    /// container still uses is kept, as `docker compose down --rmi` does).
    public func removeImage(_ reference: String) -> ImageRemoval {
        do {
            _ = try images.remove(reference, force: false)
            return .removed
        } catch ImageStoreError.unknownImage {
            return .absent
        } catch {
            return .kept("\(error)")
        }
    }
}
