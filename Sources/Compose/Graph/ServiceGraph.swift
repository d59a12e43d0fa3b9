import Diagnostics
import YAML

/// The start/stop order of a project's services. An edge `a → b` means
/// `a` needs `b` first: `depends_on`, `network_mode: service:b` and
/// `volumes_from: b`. Dependencies on services that are not in the
/// project (dropped by profiles) are ignored.
public struct ServiceGraph: Hashable, Sendable {
    /// All service names, sorted.
    public let services: [String]
    /// Each service's direct dependencies, sorted.
    public let dependencies: [String: [String]]

    /// Throws a diagnostic naming the cycle (`a → b → c → a`) when the
    /// dependencies loop.
    public init(_ project: Project) throws {
        let names = Set(project.services.map(\.name))
        var deps: [String: [String]] = [:]
        for service in project.services {
            var set = Set(service.dependsOn.keys)
            if let mode = service.networkMode, mode.hasPrefix("service:") { set.insert(String(mode.dropFirst(8))) }
            for from in service.volumesFrom where !from.hasPrefix("container:") {
                var target = from.hasPrefix("service:") ? String(from.dropFirst(8)) : from
                if let colon = target.firstIndex(of: ":") { target = String(target[..<colon]) }
                set.insert(target)
            }
            deps[service.name] = set.filter(names.contains).sorted()
        }
        self.services = names.sorted()
        self.dependencies = deps
        if let cycle = DependencyCycles.find(deps) {
            let mark = project.service(named: cycle[0])?.mark
            throw DiagnosticsError(Diagnostic(at: mark, keyPath: "services.\(cycle[0])",
                                              "dependency cycle: \(DependencyCycles.describe(cycle))"))
        }
    }

    /// Every service, dependencies before dependents (ties by name).
    public var topologicalOrder: [String] { startWaves(for: nil).flatMap { $0 } }

    /// Services that can start together: each wave depends only on earlier
    /// waves. With `selected`, only those services and what they
    /// (transitively) depend on. Each wave is sorted by name.
    public func startWaves(for selected: [String]? = nil) -> [[String]] {
        let include = closure(of: selected, along: dependencies)
        return waves(include, edges: dependencies)
    }

    /// The reverse: dependents stop before what they depend on. With
    /// `selected`, those services and everything that (transitively)
    /// depends on them.
    public func stopWaves(for selected: [String]? = nil) -> [[String]] {
        var dependents: [String: [String]] = [:]
        for (service, deps) in dependencies {
            for dep in deps { dependents[dep, default: []].append(service) }
        }
        let include = closure(of: selected, along: dependents)
        return waves(include, edges: dependents)
    }

    /// Services reachable from `selected` along `edges` (all when nil).
    private func closure(of selected: [String]?, along edges: [String: [String]]) -> Set<String> {
        guard let selected else { return Set(services) }
        var seen = Set<String>()
        var queue = selected.filter { dependencies[$0] != nil }
        while let name = queue.popLast() {
            guard seen.insert(name).inserted else { continue }
            queue += edges[name] ?? []
        }
        return seen
    }

    /// Kahn's algorithm by levels: a node goes in the first wave after all
    /// of its `edges` targets (those inside `include`).
    private func waves(_ include: Set<String>, edges: [String: [String]]) -> [[String]] {
        var pending: [String: Int] = [:]
        var reverse: [String: [String]] = [:]
        for name in include {
            let targets = (edges[name] ?? []).filter(include.contains)
            pending[name] = targets.count
            for target in targets { reverse[target, default: []].append(name) }
        }
        var current = include.filter { pending[$0] == 0 }.sorted()
        var out: [[String]] = []
        while !current.isEmpty {
            out.append(current)
            var next: [String] = []
            for name in current {
                for dependent in reverse[name] ?? [] {
                    pending[dependent, default: 0] -= 1
                    if pending[dependent] == 0 { next.append(dependent) }
                }
            }
            current = next.sorted()
        }
        return out   // nodes on a cycle never reach 0; init rejects cycles
    }

    /// Keys left out of the config hash, as docker compose leaves them out:
    /// they don't change the container (scale, build — tracked through the
    /// image —, pull policy, dependencies, profiles, develop) .
    public static let hashExcludedKeys: Set<String> = ["scale", "build", "pull_policy", "depends_on", "profiles", "develop"]

    /// A stable hash of a service's normalized configuration: sha256 hex of
    /// a canonical encoding (mapping keys sorted, marks and quoting styles
    /// ignored, `deploy.replicas` and `hashExcludedKeys` left out). The same
    /// configuration written in another key order gives the same hash; what
    /// a later `up` compares to decide whether to recreate a container.
    public static func configHash(_ service: ComposeService) -> String {
        var def = service.definition
        for key in hashExcludedKeys { def = def.removing(key) }
        if let deploy = def["deploy"] {
            let rest = deploy.removing("replicas")
            def = rest.mappingPairs?.isEmpty == true ? def.removing("deploy") : def.setting("deploy", to: rest)
        }
        var out: [UInt8] = Array("berth-config-hash-v1\n".utf8)
        canonicalEncode(def, into: &out)
        return SHA256Digest.hex(out)
    }

    /// JSON-like: `{"k":v,…}` sorted by key, `[…]`, `"text"`, `null`.
    static func canonicalEncode(_ node: Node, into out: inout [UInt8]) {
        func string(_ s: String) {
            out.append(UInt8(ascii: "\""))
            for byte in s.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        switch node.kind {
        case let .scalar(text, _):
            if node.isNull { out += Array("null".utf8) } else { string(text) }
        case let .sequence(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                canonicalEncode(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .mapping(pairs):
            out.append(UInt8(ascii: "{"))
            var last: [String: Node] = [:]
            for pair in pairs { last[pair.key.scalarValue ?? ""] = pair.value }
            for (i, key) in last.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(key)
                out.append(UInt8(ascii: ":"))
                if let value = last[key] { canonicalEncode(value, into: &out) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
