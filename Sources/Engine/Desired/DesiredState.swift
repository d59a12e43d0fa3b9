import Compose
import YAML

extension DesiredService {
    /// What planning needs of a compose service: its hash, replicas, image
    /// and dependency edges, plus its flattened fields so a recreation can
    /// name what changed.
    public init(_ service: ComposeService, imageID: String?) {
        self.init(name: service.name,
                  replicas: service.replicas,
                  configHash: ServiceGraph.configHash(service),
                  imageID: imageID,
                  fields: ConfigFields.flatten(service.definition),
                  dependencies: service.dependsOn.mapValues { DependencyEdge(restartOnUpdate: $0.restart) })
        if let mode = service.networkMode, mode.hasPrefix("service:") {
            dependencies[String(mode.dropFirst(8)), default: DependencyEdge()].sharesNetwork = true
        }
        runsToCompletion = service.restart == .no
    }
}

/// A normalized service flattened to `key.path[i] → value`, over exactly
/// the fields the config hash covers. Stored with each container so the
/// next `up` can say "configuration changed: environment.DEBUG".
public enum ConfigFields {
    public static func flatten(_ definition: Node) -> [String: String] {
        var out: [String: String] = [:]
        var root = definition
        for key in ServiceGraph.hashExcludedKeys { root = root.removing(key) }
        if let deploy = root["deploy"] { root = root.setting("deploy", to: deploy.removing("replicas")) }
        walk(root, path: "", into: &out)
        return out
    }

    private static func walk(_ node: Node, path: String, into out: inout [String: String]) {
        switch node.kind {
        case let .scalar(text, _):
            out[path] = node.isNull ? "null" : text
        case let .sequence(items):
            if items.isEmpty { out[path] = "[]" }
            for (i, item) in items.enumerated() { walk(item, path: "\(path)[\(i)]", into: &out) }
        case let .mapping(pairs):
            if pairs.isEmpty && !path.isEmpty { out[path] = "{}" }
            for pair in pairs {
                let key = pair.key.scalarValue ?? "?"
                walk(pair.value, path: path.isEmpty ? key : "\(path).\(key)", into: &out)
            }
        }
    }
}
