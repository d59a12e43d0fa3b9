import Diagnostics
import YAML

/// A loaded compose project: the `Project` model and the tree it was read
/// from (`LoadedTree`'s fields read through, e.g. `loaded.normalized`).
@dynamicMemberLookup
public struct LoadedProject: Sendable {
    /// The tree, name, files and environment of the load.
    public var tree: LoadedTree
    /// The project as plain values (what the engine plans from).
    public var project: Project

    public subscript<T>(dynamicMember field: WritableKeyPath<LoadedTree, T>) -> T {
        get { tree[keyPath: field] }
        set { tree[keyPath: field] = newValue }
    }
}

/// A loaded compose project without its `Project` model: what `berth
/// config` prints (the tree was checked to make a valid model).
public struct LoadedTree: Sendable {
    /// The project name (from `-p`, `COMPOSE_PROJECT_NAME`, `name:` or the directory).
    public var name: String
    /// The normalized tree (long forms), profiles applied: what `config` prints.
    public var normalized: Node
    /// Warnings from every phase (unset variables, several default files…).
    public var warnings: [Diagnostic]
    /// The compose files read, in order, as absolute paths (`-` for stdin).
    public var files: [String]
    /// The project environment: `.env` or `--env-file` values with the process environment on top.
    public var environment: [String: String]
    /// The project directory (absolute).
    public var projectDirectory: String
    /// Every profile named by any service, sorted (what `config --profiles` prints).
    public var allProfiles: [String]
    /// The profiles that were enabled (`--profile` or `COMPOSE_PROFILES`).
    public var enabledProfiles: [String]
    /// The trees of the load's earlier phases (the parsed files, the
    /// merged and the validated model…), kept alive with the result rather
    /// than freed node by node while the load runs: a 200-service project
    /// spends about a millisecond freeing them, work a command that exits
    /// after printing the result (`config`) never needs to do. `load`
    /// drops them (its callers may live long); `loadTree` keeps them.
    var superseded: [Node] = []
}

/// Turns compose files into a project. The phases, in order:
/// discover files → per file: YAML → interpolate → resolve relative paths →
/// `extends` → merge files → `include` → fold `env_file`/`label_file` →
/// project name → `Validator.validate` → `Normalizer.normalize` →
/// `Profiles.apply` → `Validator.checkReferences` → `Project`.
/// Diagnostics are collected across phases (each phase runs when the ones
/// before it left no error) and thrown together as one `DiagnosticsError`;
/// warnings of a successful load are in `LoadedProject.warnings`.
public enum ComposeLoader {
    /// Loads the project `options` describe, reading files through `fileSystem`.
    public static func load(_ options: LoadOptions, fileSystem: FileSystem = LocalFileSystem()) throws -> LoadedProject {
        let final = try finalTree(options, fileSystem: fileSystem)
        // The project model is read on a second thread while this one
        // checks references; reference errors still come first.
        let model = final.tree.normalized
        let (references, read) = Concurrently.run({ Validator.checkReferences(final.selected) },
                                                  beside: { Result { try Project(normalized: model) } })
        try final.check(references)
        var project = try read.get()
        project.configFiles = final.tree.files
        project.workingDirectory = final.tree.projectDirectory
        // Commands that load a project may run for hours (`up` attached):
        // they free the earlier trees now; only `config` (`loadTree`) keeps them.
        var tree = final.tree
        tree.superseded = []
        return LoadedProject(tree: tree, project: project)
    }

    /// `load` without reading the `Project` model (`Project.check` makes
    /// sure it could be read: the same errors are thrown), running
    /// `alongside` on this thread with the final tree (what
    /// `LoadedTree.normalized` will be) while a second thread checks
    /// references and the model: `config` renders its output there.
    /// `alongside` runs once no error was found before the reference
    /// checks; its result is dropped when they find one.
    public static func loadTree<Extra>(_ options: LoadOptions, fileSystem: FileSystem = LocalFileSystem(),
                                       alongside: (Node) -> Extra) throws -> (tree: LoadedTree, extra: Extra) {
        let final = try finalTree(options, fileSystem: fileSystem)
        let selected = final.selected, model = final.tree.normalized
        let (extra, (references, checked)) = Concurrently.run({ alongside(model) }, beside: {
            (Validator.checkReferences(selected), Result { try Project.check(normalized: model) })
        })
        try final.check(references)
        try checked.get()
        return (final.tree, extra)
    }

    /// The final tree of a load and what its last checks need.
    struct FinalTree {
        var tree: LoadedTree
        /// The tree with profiles applied, before `--services` restricts it
        /// (references are checked on it).
        var selected: Node
        /// Every diagnostic so far (warnings only).
        var diagnostics: [Diagnostic]

        /// Throws these diagnostics and `found` when `found` has an error.
        func check(_ found: [Diagnostic]) throws {
            if found.hasErrors { throw DiagnosticsError(diagnostics + found) }
        }
    }

    /// Every phase of `load` up to the reference checks; throws the
    /// diagnostics when one of them found an error.
    static func finalTree(_ options: LoadOptions, fileSystem: FileSystem) throws -> FinalTree {
        let assembled = try assemble(options, fileSystem: fileSystem)
        let name = assembled.name
        var diagnostics = assembled.diagnostics
        func check(_ found: [Diagnostic]) throws {
            diagnostics += found
            if diagnostics.hasErrors || name == nil { throw DiagnosticsError(diagnostics) }
        }
        if diagnostics.hasErrors || name == nil {
            let validation = Validator.validate(assembled.model)
            // Report schema errors together with the loader's own when the
            // model is structurally whole, leaving out those about values
            // that already have an error (a failed interpolation).
            if !assembled.incomplete {
                let failed = diagnostics.filter { $0.severity == .error }.map(\.keyPath)
                diagnostics += validation.filter { v in
                    !failed.contains { !$0.isEmpty && (v.keyPath == $0 || v.keyPath.hasPrefix($0 + ".")
                        || v.keyPath.hasPrefix($0 + "[")) }
                }
            }
            throw DiagnosticsError(diagnostics)
        }
        // env_file / label_file after validation, so their entries were
        // checked: validation runs on a second thread while this one folds
        // them and normalizes, and its problems are reported first, as if
        // it had run before (both phases only read the tree, and
        // normalization leaves malformed values alone).
        let session = assembled.session
        let before = session.diagnostics.count
        let assembledModel = assembled.model
        let ((foldProblems, normalized, normalizeProblems), validation) = Concurrently.run({
            let folded = session.foldEnvironmentFiles(assembled.model, environment: assembled.environment)
            let foldProblems = Array(session.diagnostics[before...])
            let (normalized, normalizeProblems) = Normalizer.normalize(folded, context: NormalizeContext(
                workingDirectory: assembled.projectDirectory, homeDirectory: options.home,
                environment: assembled.environment))
            return (foldProblems, normalized, normalizeProblems)
        }, beside: { Validator.validate(assembledModel) })
        try check(validation)
        try check(foldProblems)
        try check(normalizeProblems)
        let (selected, profileProblems) = Profiles.apply(normalized, enabled: Set(assembled.enabledProfiles),
                                                         selectedServices: options.services)
        // Errors of services that stay in the project (a missing env_file
        // of a service left out by its profile does not matter).
        var serviceProblems: [Diagnostic] = []
        for service in selected["services"]?.mappingKeys ?? [] {
            serviceProblems += session.serviceErrors[service] ?? []
        }
        try check(profileProblems + serviceProblems)
        let model = options.services.isEmpty ? selected : restrict(selected, to: options.services)
        let tree = LoadedTree(name: name ?? "", normalized: model,
                              warnings: diagnostics.filter { $0.severity == .warning }.sortedByPosition(),
                              files: assembled.files, environment: assembled.environment,
                              projectDirectory: assembled.projectDirectory, allProfiles: profiles(in: normalized),
                              enabledProfiles: assembled.enabledProfiles,
                              superseded: session.superseded + [assembled.model, normalized])
        return FinalTree(tree: tree, selected: selected, diagnostics: diagnostics)
    }

    /// The loader's own phases, up to the merged model with its name:
    /// what validation and normalization start from.
    struct AssembledModel {
        /// nil when no valid name could be found (a diagnostic says why).
        var name: String?
        var model: Node
        var environment: [String: String]
        var files: [String]
        var projectDirectory: String
        var enabledProfiles: [String]
        var diagnostics: [Diagnostic]
        /// Errors that count only for services that stay in the project.
        var serviceErrors: [String: [Diagnostic]]
        /// A structural step failed; see `LoadSession.incomplete`.
        var incomplete: Bool
        /// The session, for the phases `load` runs after validation.
        var session: LoadSession
    }

    /// Runs discovery, environment, per-file phases, merge and include
    /// (`env_file` folding of the main project comes after validation).
    /// Throws only when no compose file can be found; other problems are in
    /// `diagnostics`.
    static func assemble(_ options: LoadOptions, fileSystem: FileSystem) throws -> AssembledModel {
        let workingDirectory = PathRules.clean(options.workingDirectory)
        let session = LoadSession(fileSystem: fileSystem, home: options.home, workingDirectory: workingDirectory,
                                  interpolate: options.interpolate, stdinText: options.stdinText)

        // Files: -f, else COMPOSE_FILE, else discovery.
        let files = try configFiles(options, workingDirectory: workingDirectory, session: session)
        let projectDirectory: String
        if let dir = options.projectDirectory {
            projectDirectory = PathRules.resolve(dir, against: workingDirectory, home: options.home)
        } else if let first = files.first, first != LoadSession.stdinPath {
            projectDirectory = PathRules.directory(of: first)
        } else {
            projectDirectory = workingDirectory
        }

        let environment = projectEnvironment(options, workingDirectory: workingDirectory,
                                             projectDirectory: projectDirectory, session: session)

        var model = session.loadModel(files: files.map { ($0, nil, .root) }, projectDirectory: projectDirectory,
                                      explicitDirectory: options.projectDirectory != nil,
                                      environment: environment, includeChain: files, foldEnvironment: false)

        let name = projectName(options, environment: environment, model: model, projectDirectory: projectDirectory,
                               session: session)
        if let name {
            let mark = model["name"]?.mark ?? .synthetic("project name")
            model = Node.mapping([Node.Pair(key: .scalar("name", mark: mark), value: .scalar(name, mark: mark))]
                                     + (model.removing("name").mappingPairs ?? []), mark: model.mark)
        }

        let enabled = options.profiles.isEmpty
            ? (environment["COMPOSE_PROFILES"] ?? "").split(separator: ",").map {
                String($0).trimmingBlanks()
            }.filter { !$0.isEmpty }
            : options.profiles
        return AssembledModel(name: name, model: model, environment: environment, files: session.filesRead,
                              projectDirectory: projectDirectory, enabledProfiles: enabled,
                              diagnostics: session.diagnostics, serviceErrors: session.serviceErrors,
                              incomplete: session.incomplete, session: session)
    }

    /// `model` with only `services` and what they depend on, transitively:
    /// `depends_on`, `links`, `volumes_from` and `service:` in
    /// `network_mode`/`ipc`/`pid` (compose-go's service dependencies).
    /// Top-level resources are kept.
    static func restrict(_ model: Node, to services: [String]) -> Node {
        guard let servicesNode = model["services"], let pairs = servicesNode.mappingPairs else { return model }
        func dependencies(_ service: Node) -> [String] {
            var names = service["depends_on"]?.mappingKeys ?? []
            for link in service["links"]?.sequenceItems ?? [] {
                if let text = link.scalarValue { names.append(String(text.split(separator: ":").first ?? "")) }
            }
            for from in service["volumes_from"]?.sequenceItems ?? [] {
                guard let text = from.scalarValue, !text.hasPrefix("container:") else { continue }
                names.append(String(text.split(separator: ":").first ?? ""))
            }
            for key in ["network_mode", "ipc", "pid"] {
                if let text = service[key]?.scalarValue, text.hasPrefix("service:") {
                    names.append(String(text.dropFirst("service:".count)))
                }
            }
            return names
        }
        var keep = Set<String>()
        var queue = services
        while let name = queue.popLast() {
            guard keep.insert(name).inserted, let service = model["services"]?[name] else { continue }
            queue += dependencies(service)
        }
        var restricted = servicesNode
        restricted.kind = .mapping(pairs.filter { keep.contains($0.key.scalarValue ?? "") })
        return model.setting("services", to: restricted)
    }

    /// The project environment: --env-file (else COMPOSE_ENV_FILES,
    /// comma-separated) replacing .env, with the process environment on top.
    static func projectEnvironment(_ options: LoadOptions, workingDirectory: String, projectDirectory: String,
                                   session: LoadSession) -> [String: String] {
        let envFileNames = envFileNames(options)
        let envFiles: [(path: String, required: Bool, mark: Mark?, keyPath: NodePath)] = envFileNames.isEmpty
            ? [(PathRules.join(projectDirectory, ".env"), false, nil, .root)]
            : envFileNames.map { (PathRules.resolve($0, against: workingDirectory, home: options.home), true, nil, .root) }
        var environment = session.readEnvironmentFiles(envFiles, lookupFirst: options.environment)
        for (k, v) in options.environment { environment[k] = v }
        return environment
    }

    /// `--env-file` values, else `COMPOSE_ENV_FILES` (comma-separated).
    static func envFileNames(_ options: LoadOptions) -> [String] {
        if !options.envFiles.isEmpty { return options.envFiles }
        guard let variable = options.environment["COMPOSE_ENV_FILES"], !variable.isEmpty else { return [] }
        return variable.split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
    }

    /// The compose files to read, as absolute paths (`-` for stdin).
    static func configFiles(_ options: LoadOptions, workingDirectory: String, session: LoadSession) throws -> [String] {
        if !options.files.isEmpty {
            return options.files.map {
                $0 == "-" ? LoadSession.stdinPath : PathRules.resolve($0, against: workingDirectory, home: options.home)
            }
        }
        // --project-directory, when given, is where .env, COMPOSE_FILE's
        // relative paths and discovery start (as compose-go does).
        let start = options.projectDirectory.map {
            PathRules.resolve($0, against: workingDirectory, home: options.home)
        } ?? workingDirectory
        // COMPOSE_FILE from the process environment, else from the env files
        // (--env-file / COMPOSE_ENV_FILES, else the .env of `start`).
        var fileVariable = options.environment["COMPOSE_FILE"]
        var separator = options.environment["COMPOSE_PATH_SEPARATOR"]
        if fileVariable == nil {
            let names = envFileNames(options)
            let files: [(path: String, required: Bool, mark: Mark?, keyPath: NodePath)] = names.isEmpty
                ? [(PathRules.join(start, ".env"), false, nil, .root)]
                : names.map { (PathRules.resolve($0, against: workingDirectory, home: options.home), false, nil, .root) }
            let dotEnv = session.readEnvironmentFiles(files, lookupFirst: options.environment)
            fileVariable = dotEnv["COMPOSE_FILE"]
            separator = separator ?? dotEnv["COMPOSE_PATH_SEPARATOR"]
        }
        if let value = fileVariable, !value.isEmpty {
            let sep = Character(separator.flatMap { $0.isEmpty ? nil : $0 } ?? ":")
            return value.split(separator: sep).map {
                PathRules.resolve(String($0), against: start, home: options.home)
            }
        }
        let (found, warnings) = Discovery.findDefaultFiles(from: start, fileSystem: session.fileSystem)
        session.diagnostics += warnings
        if found.isEmpty {
            throw DiagnosticsError(Diagnostic(at: nil,
                "no configuration file provided: no \(Discovery.fileNames.joined(separator: ", ")) in \(start) or its parents"))
        }
        return found
    }

    /// `-p`, then `COMPOSE_PROJECT_NAME`, then the top-level `name:`, then
    /// the project directory's name (normalized). Explicit names must be
    /// valid; nil after recording a diagnostic.
    static func projectName(_ options: LoadOptions, environment: [String: String], model: Node,
                            projectDirectory: String, session: LoadSession) -> String? {
        if let flag = options.projectName, !flag.isEmpty {
            if let d = Discovery.checkProjectName(flag, source: "-p", mark: nil) { session.diagnostics.append(d); return nil }
            return flag
        }
        if let variable = environment["COMPOSE_PROJECT_NAME"], !variable.isEmpty {
            if let d = Discovery.checkProjectName(variable, source: "COMPOSE_PROJECT_NAME", mark: nil) {
                session.diagnostics.append(d)
                return nil
            }
            return variable
        }
        if let node = model["name"], let text = node.scalarValue, !node.isNull, !text.isEmpty {
            if let d = Discovery.checkProjectName(text, source: "name:", mark: node.mark) {
                session.diagnostics.append(d)
                return nil
            }
            return text
        }
        let fromDirectory = Discovery.normalizeProjectName(PathRules.base(of: projectDirectory))
        if fromDirectory.isEmpty {
            session.error(nil, .root, "cannot derive a project name from the directory \"\(projectDirectory)\": "
                + "set one with -p, COMPOSE_PROJECT_NAME or a top-level name:")
            return nil
        }
        return fromDirectory
    }

    /// Every profile any service names, sorted and unique.
    static func profiles(in model: Node) -> [String] {
        var found: Set<String> = []
        for pair in model["services"]?.mappingPairs ?? [] {
            let p = pair.value["profiles"]
            for item in p?.sequenceItems ?? [] { if let t = item.scalarValue { found.insert(t) } }
        }
        return found.sorted()
    }
}

extension String {
    func trimmingBlanks() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
