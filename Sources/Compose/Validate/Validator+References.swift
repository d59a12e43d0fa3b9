import Diagnostics
import YAML

extension Validator {
    /// Checks names that must exist in a normalized tree: networks,
    /// volumes, secrets and configs used by services; services named by
    /// `depends_on`, `extends`, `links`, `network_mode: service:x` and
    /// `volumes_from`; duplicate published host ports and container names
    /// (and a container name on a scaled service); dependency cycles.
    public static func checkReferences(_ normalized: Node) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let services = normalized["services"]?.mappingPairs ?? []
        let serviceNames = Set(services.compactMap { $0.key.scalarValue })
        func defined(_ section: String) -> Set<String> { Set(normalized[section]?.mappingKeys ?? []) }
        let networks = defined("networks"), volumes = defined("volumes")
        let secrets = defined("secrets"), configs = defined("configs")

        func unknownService(_ name: String, _ node: Node, _ path: String, _ what: String) {
            out.append(Diagnostic(at: node.mark, keyPath: path, "\(what) undefined service \"\(name)\"",
                                  hint: Suggestion.closest(to: name, in: serviceNames).map { "did you mean \"\($0)\"?" }))
        }
        func undefined(_ kind: String, _ name: String, _ node: Node, _ path: String, _ known: Set<String>) {
            out.append(Diagnostic(at: node.mark, keyPath: path, "refers to undefined \(kind) \"\(name)\"",
                                  hint: Suggestion.closest(to: name, in: known).map { "did you mean \"\($0)\"?" }
                                      ?? "define it under the top-level \"\(kind)s\" key"))
        }

        // `depends_on: [a, a]` or `networks: [n, n]`: the spec's schema says
        // the list items are unique; the short form's duplicates would become
        // repeated mapping keys after normalization.
        func duplicates(_ section: Node?, _ path: String) {
            var first: [String: Node] = [:]
            for pair in section?.mappingPairs ?? [] {
                guard let key = pair.key.scalarValue else { continue }
                if let earlier = first[key] {
                    out.append(Diagnostic(at: pair.key.mark, keyPath: path,
                                          "\"\(key)\" is listed twice (first at line \(earlier.mark.line))",
                                          hint: "list each entry once"))
                } else {
                    first[key] = pair.key
                }
            }
        }

        var edges: [String: [String]] = [:]
        var published: [String: String] = [:]   // "ip:port/proto" → key path of first use
        var containerNames: [String: String] = [:]   // container_name → service

        for pair in services {
            guard let name = pair.key.scalarValue, pair.value.isMapping else { continue }
            let service = pair.value
            let path = "services.\(name)"
            // This service's edges, stored once at the end.
            var serviceEdges: [String] = []

            if let nameNode = service["container_name"], let containerName = nameNode.scalarValue, !nameNode.isNull {
                if let other = containerNames[containerName] {
                    out.append(Diagnostic(at: nameNode.mark, keyPath: "\(path).container_name",
                                          "container name \"\(containerName)\" is already used by service \"\(other)\""))
                } else {
                    containerNames[containerName] = name
                }
                if let scale = service["scale"]?.scalarValue.flatMap(ScalarText.integer), scale > 1 {
                    out.append(Diagnostic(at: nameNode.mark, keyPath: "\(path).container_name",
                                          "a fixed container name cannot be used with \(scale) replicas",
                                          hint: "remove container_name to scale the service"))
                }
            }
            duplicates(service["depends_on"], "\(path).depends_on")
            duplicates(service["networks"], "\(path).networks")
            for dep in service["depends_on"]?.mappingPairs ?? [] {
                guard let depName = dep.key.scalarValue else { continue }
                if serviceEdges.contains(depName) { continue }
                if serviceNames.contains(depName) {
                    serviceEdges.append(depName)
                } else {
                    unknownService(depName, dep.key, "\(path).depends_on", "depends on")
                }
            }
            if let extends = service["extends"] {
                let target = extends.scalarValue ?? extends["service"]?.scalarValue
                if let target, !extends.isNull, extends["file"] == nil, !serviceNames.contains(target) {
                    unknownService(target, extends, "\(path).extends", "extends")
                }
            }
            for (i, link) in (service["links"]?.sequenceItems ?? []).enumerated() {
                guard let text = link.scalarValue else { continue }
                let target = String(text.split(separator: ":", maxSplits: 1).first ?? "")
                if !serviceNames.contains(target) { unknownService(target, link, "\(path).links[\(i)]", "links to") }
            }
            if let mode = service["network_mode"], let text = mode.scalarValue, text.hasPrefix("service:") {
                let target = String(text.dropFirst("service:".count))
                if serviceNames.contains(target) {
                    serviceEdges.append(target)
                } else {
                    unknownService(target, mode, "\(path).network_mode", "uses the network of")
                }
            }
            for (i, from) in (service["volumes_from"]?.sequenceItems ?? []).enumerated() {
                guard let text = from.scalarValue, !text.hasPrefix("container:") else { continue }
                var target = text.hasPrefix("service:") ? String(text.dropFirst("service:".count)) : text
                if let colon = target.firstIndex(of: ":") { target = String(target[..<colon]) }  // :ro / :rw
                if serviceNames.contains(target) {
                    serviceEdges.append(target)
                } else {
                    unknownService(target, from, "\(path).volumes_from[\(i)]", "mounts volumes from")
                }
            }
            for network in service["networks"]?.mappingPairs ?? [] {
                guard let n = network.key.scalarValue, !networks.contains(n) else { continue }
                undefined("network", n, network.key, "\(path).networks", networks)
            }
            for (i, volume) in (service["volumes"]?.sequenceItems ?? []).enumerated() {
                guard volume["type"]?.scalarValue == "volume", let source = volume["source"]?.scalarValue,
                      !source.isEmpty, !volumes.contains(source) else { continue }
                undefined("volume", source, volume, "\(path).volumes[\(i)]", volumes)
            }
            for (section, known, kind) in [("secrets", secrets, "secret"), ("configs", configs, "config")] {
                for (i, ref) in (service[section]?.sequenceItems ?? []).enumerated() {
                    guard let source = (ref["source"] ?? ref).scalarValue, !known.contains(source) else { continue }
                    undefined(kind, source, ref, "\(path).\(section)[\(i)]", known)
                }
            }
            for (i, port) in (service["ports"]?.sequenceItems ?? []).enumerated() {
                guard let text = port["published"]?.scalarValue, let range = PortSyntax.range(Substring(text)) else { continue }
                guard range.0 == range.1 else { continue }  // a range lets the engine pick a free port
                let ip = port["host_ip"]?.scalarValue ?? "0.0.0.0"
                let proto = port["protocol"]?.scalarValue ?? "tcp"
                let key = "\(ip):\(range.0)/\(proto)"
                let portPath = "\(path).ports[\(i)]"
                if let first = published[key] {
                    out.append(Diagnostic(at: port.mark, keyPath: portPath,
                                          "host port \(ip == "0.0.0.0" ? "" : ip + ":")\(range.0)/\(proto) is already published by \(first)"))
                } else {
                    published[key] = portPath
                }
            }
            edges[name] = serviceEdges
        }

        if let cycle = DependencyCycles.find(edges),
           let first = services.first(where: { $0.key.scalarValue == cycle[0] }) {
            out.append(Diagnostic(at: first.key.mark, keyPath: "services.\(cycle[0])",
                                  "dependency cycle: \(DependencyCycles.describe(cycle))"))
        }
        return out
    }
}
