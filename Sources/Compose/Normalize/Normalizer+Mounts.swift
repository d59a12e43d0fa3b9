import Diagnostics
import YAML

extension NormalizeRun {
    /// One `ports` entry → one or more long entries
    /// `{mode, host_ip?, target, published?, protocol}` (ranges expand).
    mutating func normalizePort(_ node: Node, in service: String, index: Int) -> [Node] {
        func path() -> String { DiagnosticPath.index("\(service).ports", index) }
        if let text = node.scalarValue, !node.isNull {
            switch PortSyntax.parse(text) {
            case let .success(specs):
                expandedPorts += specs.count
                guard expandedPorts <= Self.maxPorts else {
                    error(node, path(), "too many ports after expanding ranges (more than \(Self.maxPorts) in the project)")
                    return [node]
                }
                return specs.map { spec in
                    var fields: [(String, Node)] = [("mode", .scalar("ingress", mark: node.mark))]
                    if let ip = spec.hostIP { fields.append(("host_ip", .string(ip, mark: node.mark))) }
                    fields.append(("target", .integer(spec.target, mark: node.mark)))
                    if let published = spec.published { fields.append(("published", .string(published, mark: node.mark))) }
                    fields.append(("protocol", .scalar(spec.proto, mark: node.mark)))
                    return .map(fields, mark: node.mark)
                }
            case let .failure(e):
                error(node, path(), e.message)
                return [node]
            }
        }
        guard node.isMapping else { return [node] }
        var fields: [(String, Node)] = [("mode", node["mode"] ?? .scalar("ingress", mark: node.mark))]
        if let ip = node["host_ip"] { fields.append(("host_ip", ip)) }
        if let target = node["target"] {
            let number = target.scalarValue.flatMap { ScalarText.integer($0) }
            fields.append(("target", number.map { Node.integer($0, mark: target.mark) } ?? target))
        }
        if let published = node["published"], let text = published.scalarValue, !published.isNull {
            fields.append(("published", .string(text, mark: published.mark)))
        }
        fields.append(("protocol", node["protocol"] ?? .scalar("tcp", mark: node.mark)))
        for key in ["app_protocol", "name"] { if let v = node[key] { fields.append((key, v)) } }
        for key in node.mappingKeys where key.hasPrefix("x-") { fields.append((key, node[key] ?? node)) }
        return [.map(fields, mark: node.mark)]
    }

    /// One `volumes` entry → long syntax. Short binds resolve their source
    /// and get `bind.create_host_path: true`; named volumes get `volume: {}`.
    mutating func normalizeVolume(_ node: Node, in service: String, index: Int) -> Node {
        func path() -> String { DiagnosticPath.index("\(service).volumes", index) }
        if let text = node.scalarValue, !node.isNull {
            switch VolumeSyntax.parse(text) {
            case let .failure(e):
                error(node, path(), e.message)
                return node
            case let .success(spec):
                let m = node.mark
                var fields: [(String, Node)] = [("type", .scalar(spec.isBind ? "bind" : "volume", mark: m))]
                if let source = spec.source {
                    fields.append(("source", .string(spec.isBind ? resolvePath(source) : source, mark: m)))
                }
                fields.append(("target", .string(spec.target, mark: m)))
                if spec.readOnly { fields.append(("read_only", .bool(true, mark: m))) }
                if spec.isBind {
                    var bind: [(String, Node)] = []
                    if let p = spec.propagation { bind.append(("propagation", .scalar(p, mark: m))) }
                    bind.append(("create_host_path", .bool(true, mark: m)))
                    if let z = spec.selinux { bind.append(("selinux", .scalar(z, mark: m))) }
                    fields.append(("bind", .map(bind, mark: m)))
                } else {
                    let volume: [(String, Node)] = spec.nocopy ? [("nocopy", .bool(true, mark: m))] : []
                    fields.append(("volume", .map(volume, mark: m)))
                }
                return .map(fields, mark: m)
            }
        }
        guard node.isMapping else { return node }
        var v = node
        if v["type"]?.scalarValue == "bind", let source = v["source"], let text = source.scalarValue {
            v = v.setting("source", to: .string(resolvePath(text), mark: source.mark))
        }
        return v
    }
}
