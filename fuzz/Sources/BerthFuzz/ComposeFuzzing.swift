import Compose
import YAML

/// Feeds the fuzz input to the Compose loader as `/p/compose.yaml` of an
/// in-memory project (a `.env` and one env_file exist, so those paths are
/// exercised too), then renders and graphs what loaded.
enum ComposeFuzzing {
    static let environment = ["HOME": "/home/fuzz", "TAG": "1.0", "EMPTY": ""]

    static func load(_ bytes: [UInt8]) {
        var fs = InMemoryFileSystem([
            "/p/.env": "FROM_DOTENV=yes\nPORT=8080\n",
            "/p/app.env": "A=1\nB=two words\n",
        ], directories: ["/p", "/p/data"])
        fs.files["/p/compose.yaml"] = bytes
        let options = LoadOptions(files: ["/p/compose.yaml"], workingDirectory: "/p",
                                  environment: environment)
        guard let loaded = try? ComposeLoader.load(options, fileSystem: fs) else { return }
        // What `berth config` prints must read back as the same tree.
        checkRoundTrip(loaded.normalized)
        _ = JSONEmitter.emit(loaded.normalized)
        if let graph = try? ServiceGraph(loaded.project) {
            _ = graph.startWaves()
            _ = graph.stopWaves()
        }
        for service in loaded.project.services {
            _ = ServiceGraph.configHash(service)
        }
    }
}
