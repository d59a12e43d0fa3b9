import Foundation

/// Paths tests need: the repository, the shared corpus beside it, and the
/// built berth executable.
public enum Repository {
    /// The repository root (the directory holding Package.swift).
    public static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `../shared/corpus` relative to the repository root.
    public static var corpus: URL {
        root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }

    /// The `berth` executable built next to the test bundle.
    public static var berthExecutable: URL { builtExecutable("berth") }

    /// An executable of this package (`berth-init`, `berth-monitor`) built
    /// next to the test bundle.
    public static func builtExecutable(_ name: String) -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return bundle.appendingPathComponent(name)
    }
}
