/// The docker compose e2e fixtures that do not load on their own, each with
/// a fragment of the diagnostic it must produce (paths relative to
/// `pkg/e2e/fixtures`). A change here means the loader's behaviour on real
/// inputs changed.
enum CorpusExpectations {
    static let e2eFailures: [String: String] = [
        // Deliberately broken: Compose's e2e test expects this error.
        "env_file/compose.yaml": "compose.yaml:8:9: services.serviceB.env_file[0]: env_file /doesnotexist/.env not found",
        // Needs FILE from the test's environment; blank, the bind source is empty.
        "logs-test/cat.yaml": "cat.yaml:6:9: services.test.volumes[0]: invalid volume \":/text_file.txt\"",
        // An override file, only meaningful merged onto compose.yaml.
        "publish/oci/compose-override.yaml": "compose-override.yaml:2:3: services.app: has neither an image nor a build context",
        // Deliberately invalid: an unknown service key.
        "wrong-composefile/compose.yaml": "compose.yaml:4:5: services.simple: unknown key \"wrongField\"",
    ]
}
