import ArgumentParser

/// `berth config` without ArgumentParser for the plain argument lists it
/// is mostly given (`config -q -f a.yaml -p demo web`): ArgumentParser's
/// parse costs about 2 ms of a 20 ms `config`, most of it the Swift
/// runtime scanning all ~7,000 protocol conformance records of the binary
/// about 43 times (reflecting the command's property wrappers, and
/// parsing its built-in completion-script commands on every call).
///
/// Only a narrow, unambiguous subset is read here: the command's own
/// names, each flag and single-valued option at most once, values as the
/// next word or after `--name=`, never starting with `-` nor empty, and
/// positional service names. Anything else (`--help`, `--`, `-qf`,
/// `-f -`, an unknown name, a repeated flag, a value `validate` rejects)
/// returns nil and goes through ArgumentParser, which then produces its
/// own result, help or usage error. `ConfigFastPathTests` checks that
/// every list read here gives the command ArgumentParser gives.
enum ConfigFastPath {
    /// The options that take a value, by every name they have.
    private enum Valued {
        case file, projectName, projectDirectory, profile, envFile, ansi, progress, format, hash, root, output
    }

    /// The flags, by every name they have.
    private enum Switch {
        case quiet, services, volumes, networks, profiles, images, noInterpolate, resolveImageDigests
    }

    private static func valued(_ name: Substring) -> Valued? {
        switch name {
        case "-f", "--file": .file
        case "-p", "--project-name": .projectName
        case "--project-directory": .projectDirectory
        case "--profile": .profile
        case "--env-file": .envFile
        case "--ansi": .ansi
        case "--progress": .progress
        case "--format": .format
        case "--hash": .hash
        case "--root": .root
        case "-o", "--output": .output
        default: nil
        }
    }

    private static func switchNamed(_ name: Substring) -> Switch? {
        switch name {
        case "-q", "--quiet": .quiet
        case "--services": .services
        case "--volumes": .volumes
        case "--networks": .networks
        case "--profiles": .profiles
        case "--images": .images
        case "--no-interpolate": .noInterpolate
        case "--resolve-image-digests": .resolveImageDigests
        default: nil
        }
    }

    /// The `config` command for `arguments` (after `GlobalOptions.hoist`),
    /// validated; nil when ArgumentParser has to read them.
    static func parse(_ arguments: [String]) -> ConfigCommand? {
        var rest = arguments[...]
        if rest.first == "compose" { rest = rest.dropFirst() }
        guard rest.first == "config" else { return nil }
        rest = rest.dropFirst()

        var files: [String] = [], profiles: [String] = [], envFiles: [String] = [], services: [String] = []
        var projectName: String?, projectDirectory: String?, ansi: String?, progress: String?
        var format: String?, hash: String?, root: String?, output: String?
        var quiet = false, listServices = false, volumes = false, networks = false, listProfiles = false
        var images = false, noInterpolate = false, resolveImageDigests = false
        // Plain variables rather than a set or dictionary: a generic type
        // instantiated here could cost a conformance scan of its own.
        func set(_ flag: inout Bool) -> Bool {
            if flag { return false }
            flag = true
            return true
        }
        func set(_ option: inout String?, _ value: String) -> Bool {
            if option != nil { return false }
            option = value
            return true
        }
        while let word = rest.popFirst() {
            guard word.hasPrefix("-") else {
                services.append(word)
                continue
            }
            let (name, attached) = FastPathWords.split(word)
            if let flag = switchNamed(name) {
                guard attached == nil else { return nil }
                let first = switch flag {
                case .quiet: set(&quiet)
                case .services: set(&listServices)
                case .volumes: set(&volumes)
                case .networks: set(&networks)
                case .profiles: set(&listProfiles)
                case .images: set(&images)
                case .noInterpolate: set(&noInterpolate)
                case .resolveImageDigests: set(&resolveImageDigests)
                }
                guard first else { return nil }
                continue
            }
            guard let option = valued(name), let value = FastPathWords.value(attached, &rest) else { return nil }
            switch option {
            case .file: files.append(value)
            case .profile: profiles.append(value)
            case .envFile: envFiles.append(value)
            case .projectName: guard set(&projectName, value) else { return nil }
            case .projectDirectory: guard set(&projectDirectory, value) else { return nil }
            case .ansi: guard set(&ansi, value) else { return nil }
            case .progress: guard set(&progress, value) else { return nil }
            case .format: guard set(&format, value) else { return nil }
            case .hash: guard set(&hash, value) else { return nil }
            case .root: guard set(&root, value) else { return nil }
            case .output: guard set(&output, value) else { return nil }
            }
        }

        var project = ProjectOptions(files: files, projectName: projectName, projectDirectory: projectDirectory,
                                     profiles: profiles, envFiles: envFiles)
        project.ansi = ansi
        project.progress = progress
        var state = StateOptions()
        state.root = root
        var command = ConfigCommand()
        command.project = project
        command.format = format ?? "yaml"
        command.quiet = quiet
        command.services = listServices
        command.volumes = volumes
        command.networks = networks
        command.profiles = listProfiles
        command.images = images
        command.hash = hash
        command.noInterpolate = noInterpolate
        command.resolveImageDigests = resolveImageDigests
        command.state = state
        command.output = output
        command.serviceNames = services
        // In ArgumentParser's order: the option groups, then the command.
        do {
            try command.project.validate()
            try command.validate()
        } catch {
            return nil
        }
        return command
    }
}
