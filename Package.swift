// swift-tools-version:6.0
// berth: a daemonless, Compose-first multi-service orchestrator for Linux.
// Module map (each target has one job; a target imports only targets above it):
// see docs/architecture.md.
import PackageDescription

let package = Package(
    name: "berth",
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-monitor", targets: ["berth-monitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: Shared
        .target(name: "Diagnostics"),

        // MARK: YAML + Compose (pure; no root)
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "YAML", dependencies: ["CYAML", "Diagnostics"]),
        .target(name: "Compose", dependencies: ["YAML", "Diagnostics"]),

        // MARK: Runtime
        .target(name: "CMonitor"),
        .target(name: "Runtime", dependencies: ["Diagnostics", "CMonitor"]),
        // Small and static: one per running container (goal ≤ 2 MB resident).
        .executableTarget(name: "berth-monitor", dependencies: ["Runtime"],
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),

        // MARK: CLI
        .target(name: "BerthCLI", dependencies: [
            "Diagnostics", "YAML", "Compose", "Runtime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"]),

        // MARK: Tests
        .target(name: "BerthTestSupport", path: "Tests/Support"),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ComposeTests", dependencies: ["Compose", "YAML"]),
        .testTarget(name: "CLITests", dependencies: ["BerthCLI"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime"]),
        .testTarget(name: "IntegrationTests", dependencies: ["BerthTestSupport", "Runtime"]),
    ]
)
