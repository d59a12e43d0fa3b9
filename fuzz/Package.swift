// swift-tools-version:5.4
// libFuzzer harness for the YAML layer and the Compose loader. Built
// separately from the main package because every target must be compiled
// with -sanitize=fuzzer,address; see docs/fuzzing.md. Tools version 5.4 on
// purpose: from 5.5 on SwiftPM renames an executable's entry point and links
// `main` to `BerthFuzz_main`, which would hide libFuzzer's own `main`.
import PackageDescription

let package = Package(
    name: "berth-fuzz",
    dependencies: [
        .package(name: "berth", path: ".."),
    ],
    targets: [
        .executableTarget(name: "BerthFuzz", dependencies: [
            .product(name: "BerthCompose", package: "berth"),
        ]),
    ]
)
