import Diagnostics
import YAML

extension Node {
    /// The non-null scalar text at `key`.
    func string(_ key: String) -> String? {
        guard let v = self[key], !v.isNull else { return nil }
        return v.scalarValue
    }

    func bool(_ key: String) -> Bool? { string(key).flatMap(ScalarText.composeBool) }
    func int(_ key: String) -> Int? { string(key).flatMap(ScalarText.integer) }
    func bytes(_ key: String) -> Int64? { string(key).flatMap { ScalarText.byteSize($0, allowUnlimited: true) } }
    func duration(_ key: String) -> ComposeDuration? { string(key).flatMap { ComposeDuration(parsing: $0) } }

    /// Scalars of a list (a lone scalar counts as a one-element list).
    func strings(_ key: String) -> [String] {
        guard let v = self[key], !v.isNull else { return [] }
        if let items = v.sequenceItems { return items.compactMap { $0.isNull ? nil : $0.scalarValue } }
        return v.scalarValue.map { [$0] } ?? []
    }

    /// A mapping of scalars (null → "").
    func stringMap(_ key: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in self[key]?.mappingPairs ?? [] {
            guard let k = pair.key.scalarValue else { continue }
            out[k] = pair.value.isNull ? "" : (pair.value.scalarValue ?? "")
        }
        return out
    }

    /// A mapping of scalars where null stays nil.
    func optionalStringMap(_ key: String) -> [String: String?] {
        var out: [String: String?] = [:]
        for pair in self[key]?.mappingPairs ?? [] {
            guard let k = pair.key.scalarValue else { continue }
            out[k] = pair.value.isNull ? .some(nil) : .some(pair.value.scalarValue)
        }
        return out
    }

    /// `x-*` keys of a mapping.
    var extensions: [String: Node] {
        var out: [String: Node] = [:]
        for pair in mappingPairs ?? [] {
            if let k = pair.key.scalarValue, k.hasPrefix("x-") { out[k] = pair.value }
        }
        return out
    }
}

/// Reads normalized nodes into model values, noting values of a kind the
/// normalizer never produces.
struct ModelReader {
    var diagnostics: [Diagnostic] = []

    /// Notes what `service` would note for `s`, without reading the rest.
    mutating func checkService(_ name: String, _ s: Node) {
        for (i, p) in (s["ports"]?.sequenceItems ?? []).enumerated() {
            _ = portTarget(p, "services.\(name).ports[\(i)]")
        }
        for (i, v) in (s["volumes"]?.sequenceItems ?? []).enumerated() {
            _ = volumeKindAndTarget(v, "services.\(name).volumes[\(i)]")
        }
    }

    mutating func service(_ name: String, _ s: Node, keyMark: Mark) -> ComposeService {
        let path = "services.\(name)"
        let deploy = s["deploy"]
        let limits = deploy?["resources"]?["limits"]
        return ComposeService(
            name: name, mark: keyMark, definition: s,
            image: s.string("image"),
            build: s["build"].flatMap { $0.isMapping ? build($0) : nil },
            pullPolicy: s.string("pull_policy"),
            platform: s.string("platform"),
            command: command(s["command"]),
            entrypoint: command(s["entrypoint"]),
            environment: s.optionalStringMap("environment"),
            ports: (s["ports"]?.sequenceItems ?? []).enumerated().compactMap { port($0.element, "\(path).ports[\($0.offset)]") },
            expose: s.strings("expose"),
            volumes: (s["volumes"]?.sequenceItems ?? []).enumerated().compactMap { volume($0.element, "\(path).volumes[\($0.offset)]") },
            volumesFrom: s.strings("volumes_from"),
            tmpfs: s.strings("tmpfs"),
            networks: networks(s["networks"]),
            networkMode: s.string("network_mode"),
            macAddress: s.string("mac_address"),
            dependsOn: dependsOn(s["depends_on"]),
            links: s.strings("links"),
            healthcheck: s["healthcheck"].flatMap { $0.isMapping ? healthcheck($0) : nil },
            restart: ComposeRestartPolicy(s.string("restart")),
            replicas: s.int("scale") ?? deploy?.int("replicas") ?? 1,
            containerName: s.string("container_name"),
            user: s.string("user"),
            workingDir: s.string("working_dir"),
            hostname: s.string("hostname"),
            domainname: s.string("domainname"),
            labels: s.stringMap("labels"),
            annotations: s.stringMap("annotations"),
            capAdd: s.strings("cap_add"),
            capDrop: s.strings("cap_drop"),
            privileged: s.bool("privileged") ?? false,
            readOnly: s.bool("read_only") ?? false,
            initProcess: s.bool("init"),
            tty: s.bool("tty") ?? false,
            stdinOpen: s.bool("stdin_open") ?? false,
            stopSignal: s.string("stop_signal"),
            stopGracePeriod: s.duration("stop_grace_period"),
            ulimits: ulimits(s["ulimits"]),
            sysctls: s.stringMap("sysctls"),
            memLimit: s.bytes("mem_limit") ?? limits?.bytes("memory"),
            memswapLimit: s.bytes("memswap_limit"),
            memReservation: s.bytes("mem_reservation") ?? deploy?["resources"]?["reservations"]?.bytes("memory"),
            cpus: (s.string("cpus") ?? limits?.string("cpus")).flatMap { Double($0) },
            cpuShares: s.int("cpu_shares"),
            cpuset: s.string("cpuset"),
            pidsLimit: s.int("pids_limit") ?? limits?.int("pids"),
            shmSize: s.bytes("shm_size"),
            extraHosts: extraHosts(s["extra_hosts"]),
            dns: s.strings("dns"),
            dnsSearch: s.strings("dns_search"),
            dnsOpt: s.strings("dns_opt"),
            securityOpt: s.strings("security_opt"),
            groupAdd: s.strings("group_add"),
            devices: (s["devices"]?.sequenceItems ?? []).compactMap(device),
            deviceCgroupRules: s.strings("device_cgroup_rules"),
            pid: s.string("pid"),
            ipc: s.string("ipc"),
            profiles: s.strings("profiles"),
            attach: s.bool("attach") ?? true,
            logging: s["logging"].flatMap { l in
                l.isMapping ? LoggingSpec(driver: l.string("driver"), options: l.stringMap("options")) : nil
            },
            secrets: fileReferences(s["secrets"]),
            configs: fileReferences(s["configs"]),
            extensions: s.extensions)
    }

    func command(_ node: Node?) -> ComposeCommand? {
        guard let node, !node.isNull else { return nil }
        if let items = node.sequenceItems {
            return ComposeCommand(arguments: items.compactMap(\.scalarValue))
        }
        guard let text = node.scalarValue else { return nil }
        return ComposeCommand(arguments: ScalarText.shellWords(text) ?? [text], isShellForm: true, shellText: text)
    }

    func build(_ b: Node) -> BuildSpec {
        BuildSpec(
            context: b.string("context") ?? ".",
            dockerfile: b.string("dockerfile"),
            dockerfileInline: b.string("dockerfile_inline"),
            args: b.optionalStringMap("args"),
            target: b.string("target"),
            labels: b.stringMap("labels"),
            network: b.string("network"),
            pull: b.bool("pull") ?? false,
            noCache: b.bool("no_cache") ?? false,
            cacheFrom: b.strings("cache_from"),
            cacheTo: b.strings("cache_to"),
            tags: b.strings("tags"),
            platforms: b.strings("platforms"),
            shmSize: b.bytes("shm_size"),
            extraHosts: extraHosts(b["extra_hosts"]),
            additionalContexts: b.stringMap("additional_contexts"),
            secrets: fileReferences(b["secrets"]))
    }

    /// The target of a normalized port entry; nil, noted, for anything else.
    mutating func portTarget(_ p: Node, _ path: @autoclosure () -> String) -> Int? {
        guard p.isMapping, let target = p.string("target").flatMap({ PortSyntax.range(Substring($0))?.0 }) else {
            diagnostics.append(Diagnostic(at: p.mark, keyPath: path(), "port is not in normalized form"))
            return nil
        }
        return target
    }

    mutating func port(_ p: Node, _ path: String) -> PortMapping? {
        guard let target = portTarget(p, path) else { return nil }
        return PortMapping(target: target, published: p.string("published"), hostIP: p.string("host_ip"),
                           proto: p.string("protocol") ?? "tcp", mode: p.string("mode") ?? "ingress",
                           name: p.string("name"), appProtocol: p.string("app_protocol"))
    }

    /// The type and target of a normalized volume entry; nil, noted, for anything else.
    mutating func volumeKindAndTarget(_ v: Node, _ path: @autoclosure () -> String) -> (ServiceVolume.Kind, String)? {
        guard v.isMapping, let kind = v.string("type").flatMap(ServiceVolume.Kind.init(rawValue:)),
              let target = v.string("target") else {
            diagnostics.append(Diagnostic(at: v.mark, keyPath: path(), "volume is not in normalized form"))
            return nil
        }
        return (kind, target)
    }

    mutating func volume(_ v: Node, _ path: String) -> ServiceVolume? {
        guard let (kind, target) = volumeKindAndTarget(v, path) else { return nil }
        let bind = v["bind"], volume = v["volume"], tmpfs = v["tmpfs"]
        return ServiceVolume(
            kind: kind, source: v.string("source").flatMap { $0.isEmpty ? nil : $0 }, target: target,
            readOnly: v.bool("read_only") ?? false,
            propagation: bind?.string("propagation"),
            createHostPath: bind?.bool("create_host_path") ?? false,
            selinux: bind?.string("selinux"),
            nocopy: volume?.bool("nocopy") ?? false,
            subpath: volume?.string("subpath") ?? v["image"]?.string("subpath"),
            tmpfsSize: tmpfs?.bytes("size"),
            tmpfsMode: tmpfs?.string("mode").flatMap { Int($0, radix: 8) })
    }

    func networks(_ node: Node?) -> [String: ServiceNetworkAttachment] {
        var out: [String: ServiceNetworkAttachment] = [:]
        for pair in node?.mappingPairs ?? [] {
            guard let name = pair.key.scalarValue else { continue }
            let n = pair.value
            out[name] = ServiceNetworkAttachment(
                aliases: n.strings("aliases"), ipv4Address: n.string("ipv4_address"),
                ipv6Address: n.string("ipv6_address"), interfaceName: n.string("interface_name"),
                macAddress: n.string("mac_address"), linkLocalIPs: n.strings("link_local_ips"),
                priority: n.int("priority"))
        }
        return out
    }

    func dependsOn(_ node: Node?) -> [String: ServiceDependency] {
        var out: [String: ServiceDependency] = [:]
        for pair in node?.mappingPairs ?? [] {
            guard let name = pair.key.scalarValue else { continue }
            let d = pair.value
            out[name] = ServiceDependency(
                condition: d.string("condition").flatMap(ServiceDependency.Condition.init(rawValue:)) ?? .started,
                required: d.bool("required") ?? true,
                restart: d.bool("restart") ?? false)
        }
        return out
    }

    func healthcheck(_ h: Node) -> HealthcheckSpec {
        HealthcheckSpec(
            disabled: h.bool("disable") ?? false,
            test: h.strings("test"),
            interval: h.duration("interval"), timeout: h.duration("timeout"),
            retries: h.int("retries"),
            startPeriod: h.duration("start_period"), startInterval: h.duration("start_interval"))
    }

    func ulimits(_ node: Node?) -> [String: ServiceUlimit] {
        var out: [String: ServiceUlimit] = [:]
        for pair in node?.mappingPairs ?? [] {
            guard let name = pair.key.scalarValue else { continue }
            if let single = pair.value.scalarValue.flatMap(ScalarText.integer) {
                out[name] = ServiceUlimit(soft: single, hard: single)
            } else if let soft = pair.value.int("soft"), let hard = pair.value.int("hard") {
                out[name] = ServiceUlimit(soft: soft, hard: hard)
            }
        }
        return out
    }

    func extraHosts(_ node: Node?) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for pair in node?.mappingPairs ?? [] {
            guard let host = pair.key.scalarValue else { continue }
            out[host] = pair.value.sequenceItems?.compactMap(\.scalarValue) ?? pair.value.scalarValue.map { [$0] } ?? []
        }
        return out
    }

    func fileReferences(_ node: Node?) -> [ServiceFileReference] {
        (node?.sequenceItems ?? []).compactMap { r in
            guard let source = r.string("source") ?? (r.isNull ? nil : r.scalarValue) else { return nil }
            return ServiceFileReference(source: source, target: r.string("target"), uid: r.string("uid"),
                                        gid: r.string("gid"), mode: r.string("mode").flatMap { m in
                                            m.hasPrefix("0") && m.count > 1 ? Int(m.dropFirst(), radix: 8) : Int(m) })
        }
    }

    func device(_ d: Node) -> ServiceDevice? {
        if let text = d.scalarValue, !d.isNull {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return ServiceDevice(source: parts[0], target: parts.count > 1 ? parts[1] : parts[0],
                                 permissions: parts.count > 2 ? parts[2] : "rwm")
        }
        guard let source = d.string("source") else { return nil }
        return ServiceDevice(source: source, target: d.string("target") ?? source, permissions: d.string("permissions") ?? "rwm")
    }

    func network(_ n: Node) -> NetworkDefinition {
        NetworkDefinition(
            name: n.string("name"), driver: n.string("driver"), driverOpts: n.stringMap("driver_opts"),
            external: n.bool("external") ?? false, internal: n.bool("internal") ?? false,
            enableIPv4: n.bool("enable_ipv4"), enableIPv6: n.bool("enable_ipv6"),
            attachable: n.bool("attachable") ?? false, labels: n.stringMap("labels"),
            ipam: n["ipam"].flatMap { i in
                guard i.isMapping else { return nil }
                return IPAMSpec(driver: i.string("driver"), config: (i["config"]?.sequenceItems ?? []).map { c in
                    IPAMSpec.Pool(subnet: c.string("subnet"), ipRange: c.string("ip_range"),
                                  gateway: c.string("gateway"), auxAddresses: c.stringMap("aux_addresses"))
                }, options: i.stringMap("options"))
            })
    }

    func volume(_ v: Node) -> VolumeDefinition {
        VolumeDefinition(name: v.string("name"), driver: v.string("driver"), driverOpts: v.stringMap("driver_opts"),
                         external: v.bool("external") ?? false, labels: v.stringMap("labels"))
    }

    func secret(_ s: Node) -> SecretDefinition {
        SecretDefinition(name: s.string("name"), file: s.string("file"), environment: s.string("environment"),
                         external: s.bool("external") ?? false, labels: s.stringMap("labels"))
    }

    func config(_ c: Node) -> ConfigDefinition {
        ConfigDefinition(name: c.string("name"), file: c.string("file"), environment: c.string("environment"),
                         content: c.string("content"), external: c.bool("external") ?? false,
                         labels: c.stringMap("labels"))
    }
}
