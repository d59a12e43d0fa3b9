// swift-tools-version:6.0
// berth: a daemonless, Compose-first multi-service orchestrator for Linux.
// Module map (each target has one job; a target imports only targets above it):
// see docs/architecture.md.
import PackageDescription

let package = Package(
    name: "berth",
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berth-dns", targets: ["berth-dns"]),
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

        // MARK: Networking (bridge, veth, IPAM, nftables, DNS helper)
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .systemLibrary(name: "CNetlink"),
        .target(name: "Networking", dependencies: ["CNFTables", "CNetlink", "Diagnostics"]),
        .executableTarget(name: "berth-dns", dependencies: ["Networking"]),
        .executableTarget(name: "berth-netbench", dependencies: ["Networking", "Diagnostics"], path: "bench/network/netbench"),

        // MARK: CLI
        .target(name: "BerthCLI", dependencies: [
            "Diagnostics", "YAML", "Compose", "Networking",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"]),

        // MARK: Tests
        .target(name: "BerthTestSupport", path: "Tests/Support"),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ComposeTests", dependencies: ["Compose", "YAML"]),
        .testTarget(name: "CLITests", dependencies: ["BerthCLI"]),
        .testTarget(name: "NetworkingTests", dependencies: ["Networking"]),
        .testTarget(name: "IntegrationTests", dependencies: ["BerthTestSupport", "Networking", "Diagnostics"]),
    ]
)
