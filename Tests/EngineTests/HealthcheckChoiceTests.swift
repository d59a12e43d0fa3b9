import Testing
import Compose
import OCI
import YAML
@testable import Engine

/// Which healthcheck a container's monitor runs: the service's, the
/// image's HEALTHCHECK, a mix (service timings, image test), or none.
@Suite struct HealthcheckChoiceTests {
    func service(_ healthcheck: String) throws -> ComposeService {
        let yaml = "name: p\nservices:\n  web:\n    image: busybox\n" + healthcheck
        let root = try YAMLLoader.load(yaml, file: "compose.yaml")
        let (normalized, diagnostics) = Normalizer.normalize(root, context: NormalizeContext(
            workingDirectory: "/p", homeDirectory: "/root", environment: [:]))
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        return try #require(try Project(normalized: normalized).service(named: "web"))
    }

    static let image = OCI.Healthcheck(test: ["CMD-SHELL", "curl -f http://localhost/"], interval: 5_000_000_000,
                                       timeout: 2_000_000_000, retries: 4)

    @Test func theImageHealthcheckIsUsedWhenTheServiceHasNone() throws {
        let hc = try #require(ComposeDriver.healthcheck(for: try service(""), image: Self.image))
        #expect(hc.argv == ["/bin/sh", "-c", "curl -f http://localhost/"])
        #expect(hc.interval == 5_000_000_000 && hc.timeout == 2_000_000_000 && hc.retries == 4)
    }

    @Test func theServiceTestWinsAndItsTimingsOverrideTheImages() throws {
        let svc = try service("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n")
        let hc = try #require(ComposeDriver.healthcheck(for: svc, image: Self.image))
        #expect(hc.argv == ["true"])
        #expect(hc.interval == 1_000_000_000)
        #expect(hc.timeout == 2_000_000_000, "unset in the service: the image's")
    }

    @Test func serviceTimingsWithoutATestKeepTheImageTest() throws {
        let svc = try service("    healthcheck:\n      interval: 2s\n")
        let hc = try #require(ComposeDriver.healthcheck(for: svc, image: Self.image))
        #expect(hc.argv == ["/bin/sh", "-c", "curl -f http://localhost/"])
        #expect(hc.interval == 2_000_000_000)
    }

    @Test func disableOrNoneMeansNoProbe() throws {
        #expect(ComposeDriver.healthcheck(for: try service("    healthcheck:\n      disable: true\n"), image: Self.image) == nil)
        #expect(ComposeDriver.healthcheck(for: try service(""), image: OCI.Healthcheck(test: ["NONE"])) == nil)
        #expect(ComposeDriver.healthcheck(for: try service(""), image: nil) == nil)
    }
}
