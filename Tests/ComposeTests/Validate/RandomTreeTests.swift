import Diagnostics
import Testing
import YAML
@testable import Compose

/// Random trees built from real key names and tricky scalars go through
/// every phase: nothing may crash, and each phase must terminate.
@Suite struct RandomTreeTests {
    /// SplitMix64: a small deterministic generator, so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static let keys = [
        "image", "build", "ports", "volumes", "environment", "labels", "depends_on", "networks", "healthcheck",
        "command", "entrypoint", "restart", "scale", "deploy", "replicas", "secrets", "configs", "extra_hosts",
        "dns", "tmpfs", "ulimits", "network_mode", "volumes_from", "links", "profiles", "condition", "required",
        "test", "interval", "disable", "target", "published", "type", "source", "external", "name", "x-ext",
        "context", "args", "mem_limit", "stop_grace_period", "pull_policy", "expose", "container_name", "bind",
        "a", "b", "web", "db", "default",
    ]
    static let scalars = [
        "", "~", "null", "yes", "no", "true", "0", "-1", "80", "8080:80", "1-65535:1-65535", "[::1]:80:80", "::",
        "a:b:c:d", "./x", "~/y", "../..", "/", "1m30s", "10", "1e400", "512m", "99999999999999999999b", "on-failure:3",
        "service:web", "service:", "web:ro", "db", "${X}", "\u{0}", "é", "every_1w", "NONE", "CMD", "x=y", "=", ".inf",
    ]

    static func node(_ g: inout Generator, depth: Int) -> Node {
        let choice = depth > 4 ? 0 : Int.random(in: 0..<4, using: &g)
        switch choice {
        case 0, 1:
            let text = scalars.randomElement(using: &g) ?? ""
            return .scalar(text, style: Bool.random(using: &g) ? .plain : .doubleQuoted)
        case 2:
            return .sequence((0..<Int.random(in: 0..<4, using: &g)).map { _ in node(&g, depth: depth + 1) })
        default:
            return .mapping((0..<Int.random(in: 0..<5, using: &g)).map { _ in
                Node.Pair(key: .scalar(keys.randomElement(using: &g) ?? "a"), value: node(&g, depth: depth + 1))
            })
        }
    }

    static let syntaxSamples = [
        "80", "8080:80", "127.0.0.1:8000-8001:80-81/udp", "[::1]:53:53/udp", "data:/data:ro", "./x:/x:z",
        "~/y:/y", "/anon", "always", "no", "on-failure:3", "unless-stopped", "missing", "every_2d", "build",
        "3000/tcp", "9000-9001", "127.0.0.1",
    ]

    /// A value that fits `shape` (most of the time: cross-field rules are not modelled).
    static func sample(_ shape: Shape, _ g: inout Generator, depth: Int) -> Node {
        func pick(_ values: [String]) -> Node {
            let text = values.randomElement(using: &g) ?? ""
            return .scalar(text, style: Int.random(in: 0..<4, using: &g) == 0 ? .doubleQuoted : .plain)
        }
        switch shape {
        case .any: return "x"
        case let .nullable(inner):
            return Int.random(in: 0..<4, using: &g) == 0 ? .scalar("null") : sample(inner, &g, depth: depth)
        case let .scalar(rule):
            switch rule {
            case .string: return pick(["x", "./rel", "/abs", "a b", "1000", "nginx:1.27"])
            case .text: return Bool.random(using: &g) ? quoted("") : pick(["1", "true", "text", "a=b"])
            case .integer: return pick(["0", "3", "12"])
            case .number: return pick(["0.5", "2"])
            case .boolean: return .scalar(["yes", "false", "on", "true", "No"].randomElement(using: &g) ?? "true")
            case .duration: return pick(["10s", "1m30s", "500ms", "0", "1h"])
            case let .bytes(unlimited): return pick(unlimited ? ["-1", "1g"] : ["512m", "1g", "100", "64k"])
            case let .oneOf(values): return pick(values)
            case let .syntax(check):
                return pick(syntaxSamples.filter { check($0) == nil })
            }
        case let .list(item):
            guard depth < 6 else { return .sequence([]) }
            return .sequence((0..<Int.random(in: 0..<3, using: &g)).map { _ in sample(item, &g, depth: depth + 1) })
        case let .dictionary(value):
            guard depth < 6 else { return .mapping([]) }
            let names = ["a", "b", "web", "db"].filter { _ in Bool.random(using: &g) }
            return .mapping(names.map { Node.Pair(key: .scalar($0), value: sample(value, &g, depth: depth + 1)) })
        case let .object(object):
            guard depth < 6 else { return .mapping([]) }
            var chosen = Set(object.required)
            for _ in 0..<Int.random(in: 0..<5, using: &g) {
                if let key = object.fields.keys.sorted().randomElement(using: &g) { chosen.insert(key) }
            }
            var pairs = chosen.sorted().compactMap { key in
                object.fields[key].map { Node.Pair(key: .scalar(key), value: sample($0, &g, depth: depth + 1)) }
            }
            if object.extensions, Int.random(in: 0..<5, using: &g) == 0 { pairs.append(Node.Pair(key: "x-extra", value: "kept")) }
            return .mapping(pairs)
        case let .either(shapes):
            return sample(shapes.randomElement(using: &g) ?? .any, &g, depth: depth)
        }
    }

    /// Trees drawn from the schema: valid ones must normalize to a fixed
    /// point that validates again.
    @Test(arguments: 0..<4)
    func schemaTreesNormalizeToAFixedPoint(_ seed: Int) throws {
        var g = Generator(state: UInt64(seed) &+ 0x5eed)
        var valid = 0
        for _ in 0..<50 {
            guard case let .object(project) = ComposeSchema.project, let serviceShape = project.fields["services"],
                  case let .nullable(.dictionary(service)) = serviceShape else {
                Issue.record("schema shape changed")
                return
            }
            let services = Node.mapping(["web", "db"].map { name in
                Node.Pair(key: .scalar(name), value: Self.sample(service, &g, depth: 2).setting("image", to: "x"))
            })
            var root: Node = ["name": "p", "services": services]
            for section in ["networks", "volumes"] {
                if let shape = project.fields[section] { root = root.setting(section, to: Self.sample(shape, &g, depth: 1)) }
            }
            let rootProblems = Validator.validate(root)
            guard !rootProblems.hasErrors else { continue }
            let (normalized, problems) = Normalizer.normalize(root, context: testContext)
            guard !problems.hasErrors else { continue }
            valid += 1
            #expect(Validator.validate(normalized).filter { $0.severity == .error }.map(\.description) == [], "\(render(root))")
            let (again, _) = Normalizer.normalize(normalized, context: testContext)
            #expect(render(again) == render(normalized), "\(render(root))")
            // Through YAML text and back (what `berth config` prints must load the same).
            let reloaded = try YAMLLoader.load(try YAMLEmitter.emit(normalized), file: "normalized.yaml")
            let (fromText, _) = Normalizer.normalize(reloaded, context: testContext)
            #expect(render(fromText) == render(normalized), "\(render(root))")
            _ = Validator.checkReferences(normalized)
            if let project = try? Project(normalized: normalized) {
                #expect(project.services.count == 2)
            }
        }
        print("schema trees: \(valid) of 50 valid (seed \(seed))")
        #expect(valid > 25)
    }

    @Test(arguments: 0..<4)
    func everyPhaseSurvives(_ seed: Int) {
        var g = Generator(state: UInt64(seed) &* 7919)
        var validTrees = 0
        defer { print("random trees: \(validTrees) of 100 valid (seed \(seed))") }
        for _ in 0..<100 {
            var services: [Node.Pair] = []
            for name in ["web", "db", "a"] where Bool.random(using: &g) {
                var service = Self.node(&g, depth: 1)
                if Bool.random(using: &g), case var .mapping(pairs) = service.kind {
                    pairs.append(Node.Pair(key: "image", value: "x"))
                    service.kind = .mapping(pairs)
                }
                services.append(Node.Pair(key: .scalar(name), value: service))
            }
            var root: Node = ["name": "p", "services": Node.mapping(services)]
            for section in ["networks", "volumes", "secrets", "configs"] where Bool.random(using: &g) {
                root = root.setting(section, to: Self.node(&g, depth: 2))
            }
            let problems = Validator.validate(root)
            #expect(problems.allSatisfy { !$0.message.isEmpty })
            let (normalized, normalizeProblems) = Normalizer.normalize(root, context: testContext)
            if !problems.hasErrors, !normalizeProblems.hasErrors {
                // A valid tree normalizes to a valid fixed point.
                #expect(Validator.validate(normalized).filter { $0.severity == .error }.map(\.description) == [], "\(render(root))")
                let (again, _) = Normalizer.normalize(normalized, context: testContext)
                #expect(render(again) == render(normalized), "\(render(root))")
                validTrees += 1
            }
            _ = Validator.checkReferences(normalized)
            let (selected, _) = Profiles.apply(normalized, enabled: ["p"], selectedServices: ["web"])
            if let project = try? Project(normalized: selected), let graph = try? ServiceGraph(project) {
                _ = graph.startWaves(for: ["db"])
                _ = graph.stopWaves()
                _ = project.services.map(ServiceGraph.configHash)
            }
        }
    }
}
