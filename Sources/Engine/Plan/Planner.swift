/// Decides, per service and wave, what to create, recreate, start, restart,
/// remove or keep, the way Compose's convergence does:
/// - containers are numbered from 1; scaling up takes numbers after the highest;
/// - scaling down removes diverged containers first, then the highest numbers;
/// - a container whose config hash or image differs is recreated (unless
///   `--no-recreate`), keeping its number;
/// - a stopped container that is up to date is started, except a one-shot
///   (restart `no`) that exited 0 on its own: its job is done;
/// - a dependent with `restart: true` on a dependency that is being updated
///   is restarted when it is otherwise kept;
/// - a dependent with `network_mode: service:NAME` is recreated when NAME's
///   container is replaced (recreated, or created anew): its namespace goes
///   with the old container;
/// - one-off containers (`run`) are never touched.
public enum Planner {
    public static func plan(desired: [DesiredService], actual: [ActualContainer], waves: [[String]],
                            options: PlanOptions) -> Plan {
        let byName = Dictionary(desired.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let serviceContainers = Dictionary(grouping: actual.filter { !$0.oneOff }, by: \.service)

        var updated: Set<String> = []
        /// Services whose network namespace is new after this plan.
        var replaced: Set<String> = []
        var planned: [[Action]] = []
        for wave in waves {
            var actions: [Action] = []
            for name in wave {
                guard let service = byName[name] else { continue }
                var serviceActions = converge(service, existing: serviceContainers[name] ?? [], options: options)
                if let owner = service.dependencies.filter({ $0.value.sharesNetwork && replaced.contains($0.key) })
                    .map(\.key).sorted().first {
                    serviceActions = serviceActions.map { action in
                        switch action {
                        case let .keep(c), let .start(c, _), let .restart(c, _):
                            return .recreate(container: c, reason: .networkOwnerReplaced(owner))
                        default:
                            return action
                        }
                    }
                }
                if serviceActions.contains(where: { if case .recreate = $0 { true } else { false } }) {
                    updated.insert(name)
                }
                if serviceActions.contains(where: { action in
                    switch action {
                    case .recreate, .create(_, _, .missing): true
                    default: false
                    }
                }) {
                    replaced.insert(name)
                }
                let restartingDeps = service.dependencies
                    .filter { $0.value.restartOnUpdate && updated.contains($0.key) }
                    .map(\.key).sorted()
                if let dep = restartingDeps.first {
                    serviceActions = serviceActions.map { action in
                        if case let .keep(c) = action, c.isUp {
                            return .restart(container: c, reason: .dependencyUpdated(dep))
                        }
                        return action
                    }
                }
                actions += serviceActions
            }
            planned.append(actions)
        }

        let orphans = actual.filter { !$0.oneOff && !options.projectServices.contains($0.service) }
            .sorted { ($0.service, $0.number) < ($1.service, $1.number) }
        let removals = options.removeOrphans ? orphans.map { Action.remove(container: $0, reason: .orphan) } : []
        return Plan(waves: planned, orphans: options.removeOrphans ? [] : orphans, orphanRemovals: removals)
    }

    /// Actions for one service, in container-number order.
    static func converge(_ service: DesiredService, existing: [ActualContainer],
                         options: PlanOptions) -> [Action] {
        let divergence = existing.map { (container: $0, reason: divergenceReason($0, service, options)) }
        // Keep up-to-date and low-numbered containers; drop diverged, then high numbers.
        let ordered = divergence.sorted { a, b in
            let aStale = a.reason != nil, bStale = b.reason != nil
            if aStale != bStale { return !aStale }
            return a.container.number < b.container.number
        }
        let wanted = max(0, service.replicas)
        var actions: [Action] = []
        for (index, entry) in ordered.enumerated() {
            let c = entry.container
            if index >= wanted {
                actions.append(.remove(container: c, reason: .scaledDown))
            } else if let reason = entry.reason {
                actions.append(.recreate(container: c, reason: reason))
            } else if c.isUp || (service.runsToCompletion && c.status == .exited(0) && !c.stoppedByUser) {
                actions.append(.keep(container: c))
            } else {
                actions.append(.start(container: c, reason: .notRunning))
            }
        }
        let highest = existing.map(\.number).max() ?? 0
        let missing = wanted - min(wanted, existing.count)
        for offset in 0..<missing {
            actions.append(.create(service: service.name, number: highest + 1 + offset,
                                   reason: existing.isEmpty ? .missing : .scaledUp))
        }
        return actions.sorted { number(of: $0) < number(of: $1) }
    }

    /// Why `container` must be recreated, or nil when it may be kept.
    static func divergenceReason(_ c: ActualContainer, _ s: DesiredService, _ options: PlanOptions) -> Reason? {
        switch options.recreate {
        case .never: return nil
        case .force: return .forced
        case .diverged:
            if c.configHash != s.configHash {
                return .configChanged(fields: changedFields(c.fields, s.fields))
            }
            if let want = s.imageID, let have = c.imageID, want != have {
                return .imageChanged(from: have, to: want)
            }
            return nil
        }
    }

    /// Key paths whose values differ; empty when the old container recorded no fields.
    static func changedFields(_ old: [String: String], _ new: [String: String]) -> [String] {
        guard !old.isEmpty else { return [] }
        return Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    private static func number(of action: Action) -> Int {
        switch action {
        case let .create(_, n, _): n
        case let .recreate(c, _), let .start(c, _), let .restart(c, _), let .remove(c, _), let .keep(c): c.number
        }
    }
}
