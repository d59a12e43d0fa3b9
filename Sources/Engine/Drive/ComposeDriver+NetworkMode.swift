import Compose
import Runtime

extension ComposeDriver {
    /// The container whose network namespace `svc` shares
    /// (`network_mode: service:NAME` or `container:NAME`), or nil when the
    /// service has a namespace of its own (`none`, networks) or the host's.
    /// For `service:NAME`, the lowest-numbered container of NAME, preferring
    /// one that runs (Compose takes the service's first container).
    func networkSharing(_ svc: ComposeService) throws -> ContainerRecord? {
        guard let mode = svc.networkMode else { return nil }
        if mode.hasPrefix("service:") {
            let target = String(mode.dropFirst(8))
            let candidates = try containers.all().filter {
                $0.labels[ProjectLabels.project] == project.name && $0.labels[ProjectLabels.service] == target
                    && $0.labels[ProjectLabels.oneOff] != "True"
            }.sorted { (Int($0.labels[ProjectLabels.number] ?? "") ?? 0) < (Int($1.labels[ProjectLabels.number] ?? "") ?? 0) }
            let running = candidates.first { (try? operations.snapshot($0).state.status) == .running }
            guard let chosen = running ?? candidates.first else {
                throw EngineError(service: svc.name,
                    "service \"\(svc.name)\" uses the network of service \"\(target)\", which has no container")
            }
            return chosen
        }
        if mode.hasPrefix("container:") {
            let name = String(mode.dropFirst(10))
            do {
                return try containers.lookup(name)
            } catch {
                throw EngineError(service: svc.name,
                    "service \"\(svc.name)\" uses the network of container \"\(name)\": no such container")
            }
        }
        return nil
    }
}
