/// The labels berth puts on every container it creates for a project.
/// They are Compose's own keys, so `--filter label=…` habits carry over.
public enum ProjectLabels {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let number = "com.docker.compose.container-number"
    public static let configHash = "com.docker.compose.config-hash"
    public static let oneOff = "com.docker.compose.oneoff"
    public static let workingDirectory = "com.docker.compose.project.working_dir"
    public static let configFiles = "com.docker.compose.project.config_files"
    public static let image = "com.docker.compose.image"
    public static let version = "com.docker.compose.version"

    /// `<project>-<service>-<n>`, the container name Compose uses.
    public static func containerName(project: String, service: String, number: Int) -> String {
        "\(project)-\(service)-\(number)"
    }

    /// Labels for a new service container.
    public static func forContainer(project: String, service: String, number: Int, configHash: String,
                                    oneOff: Bool = false) -> [String: String] {
        [
            Self.project: project,
            Self.service: service,
            Self.number: String(number),
            Self.configHash: configHash,
            Self.oneOff: oneOff ? "True" : "False",
        ]
    }
}
