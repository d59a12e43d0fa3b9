import Foundation
import Testing

/// Gates for integration tests. Locally they skip with a reason; on CI
/// (`CI=true`) they never skip, so a missing capability fails the test.
public enum Gate {
    public static var onCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    public static var isRoot: Bool { getuid() == 0 }

    public static func kernelHas(filesystem name: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.split(separator: "\t").last.map(String.init) == name }
    }
}

extension Trait where Self == ConditionTrait {
    /// Needs root (namespaces, mounts, netlink, nftables).
    public static var requiresRoot: Self {
        .enabled(if: Gate.isRoot || Gate.onCI, "requires root")
    }

    /// Needs a filesystem type in /proc/filesystems (e.g. "overlay").
    public static func requiresKernel(_ filesystem: String) -> Self {
        .enabled(if: Gate.kernelHas(filesystem: filesystem) || Gate.onCI,
                 "requires kernel support for \(filesystem)")
    }

    /// Needs an executable on the machine (e.g. busybox, skopeo).
    public static func requiresTool(_ path: String) -> Self {
        .enabled(if: FileManager.default.isExecutableFile(atPath: path) || Gate.onCI,
                 "requires \(path)")
    }
}
