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
        .executable(name: "berth-dns", targets: ["berth-dns"]),
        .executable(name: "berth-init", targets: ["berth-init"]),
        .executable(name: "berth-linkdel", targets: ["berth-linkdel"]),
        // For fuzz/ and other packages that drive the loaders.
        .library(name: "BerthCompose", targets: ["YAML", "Compose"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: Shared
        .target(name: "Diagnostics"),
        .target(name: "Health"),

        // MARK: YAML + Compose (pure; no root)
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "YAML", dependencies: ["CYAML", "Diagnostics"]),
        .target(name: "Compose", dependencies: ["YAML", "Diagnostics"]),

        // MARK: Images
        .target(name: "OCI", dependencies: ["Diagnostics", .product(name: "Crypto", package: "swift-crypto")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CUnpack"),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // JSON values and Codable over them without Foundation (records, image lookups).
        .target(name: "JSONCoding"),
        .target(name: "ImageStore", dependencies: ["OCI", "CZlib", "CZstd", "CUnpack", "Diagnostics", "JSONCoding", "SystemCalls"]),

        // MARK: Runtime (C between clone and exec; Swift plans and drives it)
        .target(name: "CRuntime"),
        .target(name: "SystemCalls", dependencies: ["CRuntime", "Diagnostics"]),
        .target(name: "CMonitor"),
        // Header only: the bpf(2) commands, as plain functions.
        .systemLibrary(name: "CBPF"),
        // eBPF programs as data (instructions, a small assembler) and bpf(2) calls:
        // the runtime's device filter and the published ports' socket redirect.
        .target(name: "EBPF", dependencies: ["CBPF", "Diagnostics"]),
        .target(name: "Runtime", dependencies: ["EBPF", "CRuntime", "SystemCalls", "Diagnostics", "CMonitor", "Health", "JSONCoding"]),
        // PID 1 of `--init` containers (like docker-init): C only, fully static
        // because it runs inside arbitrary images; -nostartfiles leaves out
        // swiftrt.o, so no Swift runtime is linked in (~0.8 MB, libc only).
        .executableTarget(name: "berth-init", linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles", "-Xlinker", "--gc-sections"])]),
        // Small and static: one per running container (goal ≤ 2 MB resident).
        .executableTarget(name: "berth-monitor", dependencies: ["Runtime"],
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .executableTarget(name: "berth-bench-spawn", dependencies: ["Runtime", "SystemCalls"]),

        // MARK: Networking (bridge, veth, IPAM, nftables, DNS helper)
        // Header only (types, constants): libnftables.so.1 is dlopen-ed at first use.
        .systemLibrary(name: "CNFTables", providers: [.apt(["libnftables-dev"])]),
        .systemLibrary(name: "CNetlink"),
        .target(name: "IPAddress"),
        // The DNS helper's code: no Foundation, so berth-dns starts in ~1.5 ms.
        .target(name: "DNSResponder", dependencies: ["IPAddress", "Diagnostics"]),
        .target(name: "Networking", dependencies: ["CNFTables", "CNetlink", "CBPF", "EBPF", "Diagnostics", "SystemCalls", "IPAddress", "DNSResponder", "JSONCoding"]),
        .executableTarget(name: "berth-dns", dependencies: ["DNSResponder"]),
        // Deletes links in the background (a bridge's deletion waits ~50 ms on
        // RCU after the link is already gone): C only, like berth-init.
        .executableTarget(name: "berth-linkdel", linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles", "-Xlinker", "--gc-sections"])]),
        .executableTarget(name: "berth-netbench", dependencies: ["Networking", "Diagnostics"], path: "bench/network/netbench"),

        // MARK: Orchestration
        .target(name: "Engine", dependencies: [
            "Diagnostics", "YAML", "Compose", "Health", "OCI", "ImageStore", "Runtime", "Networking", "IPAddress",
        ]),

        // MARK: CLI
        .target(name: "BerthCLI", dependencies: [
            "Diagnostics", "YAML", "Compose", "OCI", "ImageStore", "Runtime", "Networking", "IPAddress", "Engine", "Health", "CMonitor",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"]),

        // MARK: Tests
        .target(name: "BerthTestSupport", dependencies: ["SystemCalls"], path: "Tests/Support"),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "BerthTestSupport"]),
        .testTarget(name: "ComposeTests", dependencies: ["Compose", "YAML", "BerthTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["BerthCLI", "BerthTestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Compose", "YAML", "OCI"]),
        .testTarget(name: "HealthTests", dependencies: ["Health"]),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "ImageStoreTests", dependencies: ["ImageStore", "OCI", "CZlib", "CZstd", "BerthTestSupport"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "SystemCalls", "CRuntime", "CMonitor", "Diagnostics", "JSONCoding", "BerthTestSupport"]),
        .testTarget(name: "NetworkingTests", dependencies: ["Networking", "IPAddress", "JSONCoding", "SystemCalls"]),
        .testTarget(name: "EBPFTests", dependencies: ["EBPF", "CBPF"]),
        .testTarget(name: "DNSResponderTests", dependencies: ["DNSResponder", "IPAddress"]),
        // One target for every root integration suite (Tests/IntegrationTests/<Area>/).
        .testTarget(name: "IntegrationTests", dependencies: [
            "BerthTestSupport", "Diagnostics", "ImageStore", "OCI", "CUnpack", "Runtime", "SystemCalls",
            "Networking", "IPAddress", "DNSResponder", "EBPF",
        ]),
    ]
)
