/// `docker compose ls`: the projects on this machine, found from the
/// project labels of the containers in the store. Pure: the CLI gives it
/// one entry per container.
public enum ProjectListing {
    /// One container as `ls` counts it.
    public struct Container: Hashable, Sendable {
        public var project: String
        /// Docker's state word: running, exited, paused, created, restarting, dead.
        public var state: String
        /// The `com.docker.compose.project.config_files` label ("" when absent).
        public var configFiles: String

        public init(project: String, state: String, configFiles: String) {
            self.project = project
            self.state = state
            self.configFiles = configFiles
        }
    }

    /// One row of `ls`.
    public struct Row: Hashable, Sendable {
        public var name: String
        /// `running(2)` or `exited(1), running(2)`.
        public var status: String
        public var configFiles: String
    }

    /// Compose's STATUS column: each state with its count, states sorted,
    /// joined by ", " (`exited(1), running(2)`).
    public static func combinedStatus(_ states: [String]) -> String {
        var counts: [String: Int] = [:]
        for state in states { counts[state, default: 0] += 1 }
        return counts.keys.sorted().map { "\($0)(\(counts[$0] ?? 0))" }.joined(separator: ", ")
    }

    /// The rows, sorted by project name. Without `all`, only containers
    /// that are up (running, paused, restarting) count, and projects with
    /// none are left out, as `docker compose ls` does. `nameFilter`
    /// keeps projects whose name contains it.
    public static func rows(_ containers: [Container], all: Bool, nameFilter: String? = nil) -> [Row] {
        let counted = containers.filter { all || ["running", "paused", "restarting"].contains($0.state) }
        let byProject = Dictionary(grouping: counted, by: \.project)
        return byProject.keys.sorted().compactMap { name in
            if let nameFilter, !nameFilter.isEmpty, !name.contains(nameFilter) { return nil }
            let members = byProject[name] ?? []
            // Config files as the containers recorded them (the first non-empty, in container order).
            let files = members.map(\.configFiles).first { !$0.isEmpty } ?? ""
            return Row(name: name, status: combinedStatus(members.map(\.state)), configFiles: files)
        }
    }
}
