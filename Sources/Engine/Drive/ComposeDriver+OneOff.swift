import Compose
import Foundation
import Networking
import Runtime

/// What `compose run` changes in a service for its one-off container
/// (Compose's flags of the same names).
public struct OneOffOverrides: Hashable, Sendable {
    /// `--name`; nil: `<project>-<service>-run-<12 hex>`.
    public var name: String?
    /// The command after SERVICE; nil or empty: the service's own.
    public var command: [String]?
    /// `--entrypoint`, already split into words; resets the command when none is given.
    public var entrypoint: [String]?
    /// `-e KEY=VALUE` or `-e KEY` (taken from berth's environment; unset when absent there).
    public var environment: [String] = []
    /// `-l KEY=VALUE`.
    public var labels: [String: String] = [:]
    public var user: String?
    public var workingDir: String?
    /// `--service-ports`: publish the service's own ports (not published by default).
    public var servicePorts = false
    /// `-p [IP:]HOST:CONTAINER[/PROTO]`, published in addition.
    public var publish: [String] = []
    /// `-v SOURCE:TARGET[:ro]` (absolute or `./` paths bind, anything else is a volume).
    public var volumes: [String] = []
    /// Where a relative `-v` source is resolved (the project directory).
    public var baseDirectory: String = "/"
    /// `--use-aliases`: the one-off also answers to the service's name and
    /// network aliases (Compose gives it only its container name otherwise).
    public var useAliases = false
    public var tty = false
    public var stdinOpen = false

    public init() {}
}

/// A `-v` of `compose run`, parsed.
public struct OneOffVolume: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case bind, volume }
    public var kind: Kind
    /// Absolute host path (bind) or full volume name; nil: anonymous volume.
    public var source: String?
    public var target: String
    public var readOnly: Bool

    /// `SRC:DST[:ro|rw]` or `DST`. A source starting with `/`, `.` or `~` is a
    /// bind (relative ones resolved against `base`); a name that is a volume
    /// of the project becomes `<project>_<name>` (as the service's own volumes).
    public static func parse(_ spec: String, base: String, project: Project) throws -> OneOffVolume {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw EngineError(service: nil, "invalid volume \"\(spec)\": expected [SOURCE:]TARGET[:MODE]")
        }
        let target = parts.count == 1 ? parts[0] : parts[1]
        guard target.hasPrefix("/") else {
            throw EngineError(service: nil, "invalid volume \"\(spec)\": target \"\(target)\" is not an absolute path")
        }
        var readOnly = false
        if parts.count == 3 {
            for mode in parts[2].split(separator: ",") {
                switch mode {
                case "ro": readOnly = true
                case "rw": readOnly = false
                default: throw EngineError(service: nil, "invalid volume \"\(spec)\": unknown mode \"\(mode)\" (use ro or rw)")
                }
            }
        }
        guard parts.count > 1 else { return OneOffVolume(kind: .volume, source: nil, target: target, readOnly: readOnly) }
        let source = parts[0]
        if source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") {
            var path = source
            if path.hasPrefix("~") { path = (ProcessInfo.processInfo.environment["HOME"] ?? "/root") + path.dropFirst() }
            if !path.hasPrefix("/") { path = base + "/" + path }
            return OneOffVolume(kind: .bind, source: URL(fileURLWithPath: path).standardizedFileURL.path,
                                target: target, readOnly: readOnly)
        }
        guard NamedVolumes.isValidName(source) else {
            throw EngineError(service: nil, "invalid volume \"\(spec)\": \"\(source)\" is not a valid volume name")
        }
        let name = project.volumes[source] != nil ? ComposeDriver.volumeName(source, in: project) : source
        return OneOffVolume(kind: .volume, source: name, target: target, readOnly: readOnly)
    }
}

extension ComposeDriver {
    /// `<project>-<service>-run-<suffix>`, Compose's one-off name.
    public static func oneOffName(project: String, service: String, suffix: String) -> String {
        "\(project)-\(service)-run-\(suffix)"
    }

    /// The service as its one-off container runs it: `overrides` applied,
    /// no published ports unless `servicePorts`, no restart policy, no
    /// fixed `container_name`, no network aliases unless `useAliases`.
    public static func oneOffService(_ base: ComposeService, _ o: OneOffOverrides,
                                     hostEnvironment: [String: String]) -> ComposeService {
        var svc = base
        if let e = o.entrypoint {
            svc.entrypoint = ComposeCommand(arguments: e)
            svc.command = nil
        }
        if let c = o.command, !c.isEmpty { svc.command = ComposeCommand(arguments: c) }
        for item in o.environment {
            if let eq = item.firstIndex(of: "=") {
                svc.environment[String(item[..<eq])] = String(item[item.index(after: eq)...])
            } else {
                svc.environment[item] = .some(hostEnvironment[item])
            }
        }
        svc.labels.merge(o.labels) { _, new in new }
        if let u = o.user { svc.user = u }
        if let w = o.workingDir { svc.workingDir = w }
        if !o.servicePorts { svc.ports = [] }
        svc.restart = .no
        if !o.useAliases {
            for key in svc.networks.keys { svc.networks[key]?.aliases = [] }
        }
        svc.containerName = nil
        svc.tty = o.tty
        svc.stdinOpen = o.stdinOpen
        return svc
    }

    /// Creates (not starts) a one-off container of `service` for `compose
    /// run`: the service's configuration with `overrides`, on its networks
    /// with its aliases, labelled `com.docker.compose.oneoff=True`.
    /// Returns its name.
    public func createOneOff(service: String, overrides: OneOffOverrides) async throws -> String {
        guard let base = project.service(named: service) else {
            throw EngineError(service: service, "no such service: \(service)")
        }
        let svc = Self.oneOffService(base, overrides, hostEnvironment: ProcessInfo.processInfo.environment)
        let name = overrides.name ?? Self.oneOffName(project: project.name, service: service,
                                                     suffix: String(ContainerStore.newID().prefix(12)))
        let ports: [PortRequest]
        do {
            ports = try overrides.publish.map { try PortRequest.parse($0) }
        } catch {
            throw EngineError(service: service, "invalid -p: \(error)")
        }
        let extra = try overrides.volumes.map { try OneOffVolume.parse($0, base: overrides.baseDirectory, project: project) }
        var record = try makeRecord(svc, number: 1, name: name)
        record.labels[ProjectLabels.oneOff] = "True"
        let volumes = NamedVolumes(paths: paths)
        for v in extra {
            record.host.mounts.removeAll { $0.destination == v.target }
            switch v.kind {
            case .bind:
                let source = v.source ?? "/"
                if !FileManager.default.fileExists(atPath: source) {
                    try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                }
                record.host.mounts.append(MountSpec(type: "bind", source: source, destination: v.target,
                                                    hostPath: source, readOnly: v.readOnly))
            case .volume:
                let volume = v.source ?? ContainerStore.newID()
                let data = try volumes.prepare(volume, seed: nil)
                record.host.mounts.append(MountSpec(type: "volume", source: volume, destination: v.target,
                                                    hostPath: data, readOnly: v.readOnly))
            }
        }
        let created = try containers.create(record)
        try complete(created) {
            try wireNetwork(created, service: svc, extraPorts: ports, serviceAlias: overrides.useAliases)
        }
        return name
    }

    /// Starts a container; with `attach` its process waits for the first
    /// client on `socketPath(_:)` (foreground `compose run`).
    public func start(_ name: String, attach: Bool) throws -> ContainerOperations.StartOutcome {
        try operations.start(try record(named: name), deferStart: attach)
    }

    /// The monitor's attach socket of a container.
    public func socketPath(_ name: String) throws -> String {
        containers.socketPath(try record(named: name).id)
    }

    /// Sends `signal` to the container's process (`compose run` passing on Ctrl-C).
    public func signal(_ name: String, _ signal: Int32) throws {
        try operations.kill(try record(named: name), signal: signal)
    }

    /// Blocks until the container exits; its exit code.
    public func waitForExit(_ name: String) throws -> Int32 {
        try operations.wait(try record(named: name))
    }

    /// The running container `index` of `service` (not one-offs), for
    /// `compose exec` / `compose cp`; Compose's errors otherwise.
    public static func runningContainer(_ actual: [ActualContainer], service: String, index: Int) throws -> ActualContainer {
        let running = actual.filter { $0.service == service && !$0.oneOff && $0.status == .running }
            .sorted { $0.number < $1.number }
        guard !running.isEmpty else { throw EngineError(service: service, "service \"\(service)\" is not running") }
        guard let found = running.first(where: { $0.number == index }) else {
            throw EngineError(service: service, "service \"\(service)\" is not running container #\(index)")
        }
        return found
    }
}

/// `--entrypoint` text split into words as a POSIX shell would (quotes and
/// backslashes; no expansion), which is what Compose does with it.
public enum ShellWords {
    public static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { current.append(c) }
                continue
            }
            switch c {
            case "\\": escaped = true; inWord = true
            case "\"", "'": quote = c; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(c); inWord = true
            }
        }
        if quote != nil || escaped {
            throw EngineError(service: nil, "invalid command line \(text): unterminated quote or escape")
        }
        if inWord { words.append(current) }
        return words
    }
}
