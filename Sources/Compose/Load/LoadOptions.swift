import Diagnostics

/// Everything that decides what a compose project is, as the CLI gathers
/// it from flags and the process environment. The loader reads nothing
/// else (besides files, through its `FileSystem`).
public struct LoadOptions: Sendable {
    /// `-f` values in order; `-` means `stdinText`. Empty: `COMPOSE_FILE`, then discovery.
    public var files: [String]
    /// The text read from standard input when `files` contains `-`.
    public var stdinText: String?
    /// The directory berth was started in (absolute).
    public var workingDirectory: String
    /// `--project-directory`; default: the directory of the first file.
    public var projectDirectory: String?
    /// `-p`; otherwise `COMPOSE_PROJECT_NAME`, the top-level `name:`, or the directory name.
    public var projectName: String?
    /// `--env-file` (repeatable; else `COMPOSE_ENV_FILES`, comma-separated);
    /// replaces the default `.env` of the project directory.
    public var envFiles: [String]
    /// `--profile` (repeatable); empty means `COMPOSE_PROFILES`.
    public var profiles: [String]
    /// Services named on the command line: they are enabled whatever their
    /// profiles, and the project then holds only them and what they depend
    /// on (as `docker compose config web` shows).
    public var services: [String]
    /// `false` for `--no-interpolate`.
    public var interpolate: Bool
    /// The process environment; it wins over `.env` and `--env-file`.
    public var environment: [String: String]
    /// `~` in paths; default `HOME` from `environment`, else `/root`.
    public var homeDirectory: String?

    /// Options with defaults: discovery, interpolation on, no profiles.
    public init(files: [String] = [], stdinText: String? = nil, workingDirectory: String,
                projectDirectory: String? = nil, projectName: String? = nil, envFiles: [String] = [],
                profiles: [String] = [], services: [String] = [], interpolate: Bool = true,
                environment: [String: String] = [:], homeDirectory: String? = nil) {
        self.files = files
        self.stdinText = stdinText
        self.workingDirectory = workingDirectory
        self.projectDirectory = projectDirectory
        self.projectName = projectName
        self.envFiles = envFiles
        self.profiles = profiles
        self.services = services
        self.interpolate = interpolate
        self.environment = environment
        self.homeDirectory = homeDirectory
    }

    var home: String {
        homeDirectory ?? environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
    }
}
