import ArgumentParser

/// Every option and flag of `berth run`: the one table of their names.
/// `RunCommand`/`CreateOptions` declare theirs with `.run(…)` from it, and
/// `RunFastPath` reads argument lists by it. (`--root` belongs to
/// `StateOptions`, shared by every command; `RunFastPathTests` checks this
/// table against what ArgumentParser itself reports for `run`.)
enum RunOption: Int, CaseIterable {
    // RunCommand and StateOptions
    case detach, autoRemove, root
    // CreateOptions
    case name, interactive, tty, env, envFile, volume, mount, tmpfs, workdir, user, entrypoint, `init`, readOnly
    case memory, cpus, pidsLimit, capAdd, capDrop, privileged, device, deviceCgroupRule, restart, hostname
    case network, networkAlias, ip, macAddress, publish, publishAll, dns, dnsSearch, dnsOption, addHost, expose
    case label, logOpt, stopSignal, stopTimeout, rootfs

    /// What follows the name on the command line.
    enum Kind {
        /// Nothing (a `Bool` set to true).
        case flag
        /// One value, at most once.
        case value
        /// One value; repeatable, the values are collected in order.
        case values
    }

    /// The one-letter name, if any (`-e`).
    var short: Character? {
        switch self {
        case .detach: "d"
        case .interactive: "i"
        case .tty: "t"
        case .env: "e"
        case .volume: "v"
        case .workdir: "w"
        case .user: "u"
        case .memory: "m"
        case .hostname: "h"
        case .publish: "p"
        case .publishAll: "P"
        case .label: "l"
        default: nil
        }
    }

    /// The long names, without `--`.
    var long: [String] {
        switch self {
        case .detach: ["detach"]
        case .autoRemove: ["rm"]
        case .root: ["root"]
        case .name: ["name"]
        case .interactive: ["interactive"]
        case .tty: ["tty"]
        case .env: ["env"]
        case .envFile: ["env-file"]
        case .volume: ["volume"]
        case .mount: ["mount"]
        case .tmpfs: ["tmpfs"]
        case .workdir: ["workdir"]
        case .user: ["user"]
        case .entrypoint: ["entrypoint"]
        case .`init`: ["init"]
        case .readOnly: ["read-only"]
        case .memory: ["memory"]
        case .cpus: ["cpus"]
        case .pidsLimit: ["pids-limit"]
        case .capAdd: ["cap-add"]
        case .capDrop: ["cap-drop"]
        case .privileged: ["privileged"]
        case .device: ["device"]
        case .deviceCgroupRule: ["device-cgroup-rule"]
        case .restart: ["restart"]
        case .hostname: ["hostname"]
        case .network: ["network", "net"]
        case .networkAlias: ["network-alias", "net-alias"]
        case .ip: ["ip"]
        case .macAddress: ["mac-address"]
        case .publish: ["publish"]
        case .publishAll: ["publish-all"]
        case .dns: ["dns"]
        case .dnsSearch: ["dns-search"]
        case .dnsOption: ["dns-option", "dns-opt"]
        case .addHost: ["add-host"]
        case .expose: ["expose"]
        case .label: ["label"]
        case .logOpt: ["log-opt"]
        case .stopSignal: ["stop-signal"]
        case .stopTimeout: ["stop-timeout"]
        case .rootfs: ["rootfs"]
        }
    }

    var kind: Kind {
        switch self {
        case .detach, .autoRemove, .interactive, .tty, .`init`, .readOnly, .privileged, .publishAll: .flag
        case .root, .name, .workdir, .user, .entrypoint, .memory, .cpus, .pidsLimit, .restart, .hostname, .network,
             .ip, .macAddress, .stopSignal, .stopTimeout, .rootfs: .value
        case .env, .envFile, .volume, .mount, .tmpfs, .capAdd, .capDrop, .device, .deviceCgroupRule, .networkAlias,
             .publish, .dns, .dnsSearch, .dnsOption, .addHost, .expose, .label, .logOpt: .values
        }
    }

    /// The option named `-<short>`.
    static func named(short: Character) -> RunOption? {
        allCases.first { $0.short == short }
    }

    /// The option named `--<long>`.
    static func named(long: Substring) -> RunOption? {
        allCases.first { $0.long.contains { $0[...] == long } }
    }
}

extension NameSpecification {
    /// `option`'s names from the `RunOption` table, for its declaration.
    /// (Array literals: ArgumentParser's generic `init(_:)` from here would
    /// make the runtime scan the binary's conformance records once more.)
    static func run(_ option: RunOption) -> NameSpecification {
        let long = option.long
        switch (long.first, long.dropFirst().first, option.short) {
        case (let name?, nil, nil): return [.customLong(name)]
        case (let name?, nil, let short?): return [.customLong(name), .customShort(short)]
        case (let name?, let alias?, nil): return [.customLong(name), .customLong(alias)]
        case (let name?, let alias?, let short?): return [.customLong(name), .customLong(alias), .customShort(short)]
        case (nil, _, let short?): return [.customShort(short)]
        case (nil, _, nil): return []
        }
    }
}

/// `berth run` without ArgumentParser for the plain argument lists it is
/// mostly given (`run --rm --network none busybox true`): ArgumentParser's
/// parse costs about 2.5 ms of a ~20 ms `run --rm`, most of it the Swift
/// runtime scanning the binary's ~7,000 protocol conformance records some
/// 45 times (reflecting the property wrappers, and checking for its
/// completion-script commands).
///
/// Read here, by the `RunOption` table: options before the image, each
/// flag and single-valued option at most once (`-d`, `--rm`, `--name x`,
/// `--name=x`), repeatable ones any number of times (`-e A=1 -e B=2`),
/// groups of one-letter flags (`-it`), values as the next word or after
/// `--name=`, never starting with `-` nor empty (`--cpus`, `--pids-limit`
/// and `--stop-timeout` also numbers as ArgumentParser reads them); then
/// the image and everything after it, verbatim. Anything else (`--help`,
/// `--`, an unknown name, a repeated flag, a missing or `-`-led value, no
/// image) returns nil and goes through ArgumentParser, which then produces
/// its own result, help or usage error. `RunFastPathTests` checks that
/// every list read here gives the command ArgumentParser gives.
enum RunFastPath {
    /// The `run` command for `arguments` (after `GlobalOptions.hoist`); nil
    /// when ArgumentParser has to read them.
    static func parse(_ arguments: [String]) -> RunCommand? {
        var rest = arguments[...]
        guard rest.popFirst() == "run" else { return nil }
        var command = RunCommand.unset()
        // One bit per `RunOption` given (its raw value), for repeats.
        var given: UInt64 = 0
        func take(_ option: RunOption) -> Bool {
            let bit: UInt64 = 1 << UInt64(option.rawValue)
            if option.kind != .values && given & bit != 0 { return false }
            given |= bit
            return true
        }
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            if word.hasPrefix("--") {
                let (dashed, attached) = FastPathWords.split(word)
                let name = dashed.dropFirst(2)
                guard !name.isEmpty, let option = RunOption.named(long: name), take(option) else { return nil }
                if option.kind == .flag {
                    guard attached == nil, set(option, nil, in: &command) else { return nil }
                    continue
                }
                guard let value = FastPathWords.value(attached, &rest), set(option, value, in: &command) else { return nil }
                continue
            }
            let letters = word.dropFirst()
            guard let first = letters.first, let option = RunOption.named(short: first) else { return nil }
            if letters.count == 1 && option.kind != .flag {
                guard take(option), let value = FastPathWords.value(nil, &rest),
                      set(option, value, in: &command) else { return nil }
                continue
            }
            // `-it`: one-letter flags only.
            for letter in letters {
                guard let flag = RunOption.named(short: letter), flag.kind == .flag, take(flag),
                      set(flag, nil, in: &command) else { return nil }
            }
        }
        guard !rest.isEmpty else { return nil }
        command.imageAndCommand = Array(rest)
        return command
    }

    /// Applies one option to `command`: a flag (`value` nil) is set, a
    /// value is stored or appended. False when the value is not one
    /// ArgumentParser would accept for the option's type.
    private static func set(_ option: RunOption, _ value: String?, in command: inout RunCommand) -> Bool {
        switch option.kind {
        case .flag: if value != nil { return false }
        case .value, .values: guard value != nil else { return false }
        }
        let v = value ?? ""
        switch option {
        case .detach: command.detach = true
        case .autoRemove: command.autoRemove = true
        case .root: command.state.root = v
        case .name: command.create.name = v
        case .interactive: command.create.interactive = true
        case .tty: command.create.tty = true
        case .env: command.create.env.append(v)
        case .envFile: command.create.envFile.append(v)
        case .volume: command.create.volume.append(v)
        case .mount: command.create.mount.append(v)
        case .tmpfs: command.create.tmpfs.append(v)
        case .workdir: command.create.workdir = v
        case .user: command.create.user = v
        case .entrypoint: command.create.entrypoint = v
        case .`init`: command.create.`init` = true
        case .readOnly: command.create.readOnly = true
        case .memory: command.create.memory = v
        case .cpus:
            guard let n = Double(v) else { return false }
            command.create.cpus = n
        case .pidsLimit:
            guard let n = Int64(v) else { return false }
            command.create.pidsLimit = n
        case .capAdd: command.create.capAdd.append(v)
        case .capDrop: command.create.capDrop.append(v)
        case .privileged: command.create.privileged = true
        case .device: command.create.device.append(v)
        case .deviceCgroupRule: command.create.deviceCgroupRule.append(v)
        case .restart: command.create.restart = v
        case .hostname: command.create.hostname = v
        case .network: command.create.network = v
        case .networkAlias: command.create.networkAlias.append(v)
        case .ip: command.create.ip = v
        case .macAddress: command.create.macAddress = v
        case .publish: command.create.publish.append(v)
        case .publishAll: command.create.publishAll = true
        case .dns: command.create.dns.append(v)
        case .dnsSearch: command.create.dnsSearch.append(v)
        case .dnsOption: command.create.dnsOption.append(v)
        case .addHost: command.create.addHost.append(v)
        case .expose: command.create.expose.append(v)
        case .label: command.create.label.append(v)
        case .logOpt: command.create.logOpt.append(v)
        case .stopSignal: command.create.stopSignalFlag = v
        case .stopTimeout:
            guard let n = Int(v) else { return false }
            command.create.stopTimeout = n
        case .rootfs: command.create.rootfs = v
        }
        return true
    }
}

extension RunCommand {
    /// Every field at the value ArgumentParser gives it when its option is
    /// absent (a property wrapper not assigned would stop the process when
    /// read); `RunFastPathTests` compares it with ArgumentParser's
    /// `run IMAGE`.
    static func unset() -> RunCommand {
        // The groups are assembled apart: reading a group of a fresh
        // command (to assign into it) would stop the process too.
        var state = StateOptions()
        state.root = nil
        var create = CreateOptions()
        var c = RunCommand()
        c.detach = false
        c.autoRemove = false
        c.imageAndCommand = []
        create.name = nil
        create.interactive = false
        create.tty = false
        create.env = []
        create.envFile = []
        create.volume = []
        create.mount = []
        create.tmpfs = []
        create.workdir = nil
        create.user = nil
        create.entrypoint = nil
        create.`init` = false
        create.readOnly = false
        create.memory = nil
        create.cpus = nil
        create.pidsLimit = nil
        create.capAdd = []
        create.capDrop = []
        create.privileged = false
        create.device = []
        create.deviceCgroupRule = []
        create.restart = CreateOptions.defaultRestart
        create.hostname = nil
        create.network = nil
        create.networkAlias = []
        create.ip = nil
        create.macAddress = nil
        create.publish = []
        create.publishAll = false
        create.dns = []
        create.dnsSearch = []
        create.dnsOption = []
        create.addHost = []
        create.expose = []
        create.label = []
        create.logOpt = []
        create.stopSignalFlag = nil
        create.stopTimeout = CreateOptions.defaultStopTimeout
        create.rootfs = nil
        c.state = state
        c.create = create
        return c
    }
}
