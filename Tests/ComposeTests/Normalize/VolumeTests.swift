import Testing
import YAML
@testable import Compose

@Suite struct VolumeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var volume: Node
        var normalized: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "absolute bind", volume: "/srv/data:/data",
             normalized: "{type: bind, source: /srv/data, target: /data, bind: {create_host_path: true}}"),
        Case(name: "relative bind", volume: "./conf:/etc/app:ro",
             normalized: "{type: bind, source: /proj/conf, target: /etc/app, read_only: true, bind: {create_host_path: true}}"),
        Case(name: "parent bind", volume: "../shared/x/../y:/y",
             normalized: "{type: bind, source: /shared/y, target: /y, bind: {create_host_path: true}}"),
        Case(name: "home bind with selinux", volume: "~/cache:/cache:z",
             normalized: "{type: bind, source: /home/u/cache, target: /cache, bind: {create_host_path: true, selinux: z}}"),
        Case(name: "dot bind rw and propagation", volume: ".:/src:rw,rshared",
             normalized: "{type: bind, source: /proj, target: /src, bind: {propagation: rshared, create_host_path: true}}"),
        Case(name: "named volume", volume: "data:/var/lib/db",
             normalized: "{type: volume, source: data, target: /var/lib/db, volume: {}}"),
        Case(name: "named volume nocopy ro", volume: "data:/d:ro,nocopy",
             normalized: "{type: volume, source: data, target: /d, read_only: true, volume: {nocopy: true}}"),
        Case(name: "anonymous", volume: "/scratch",
             normalized: "{type: volume, target: /scratch, volume: {}}"),
        Case(name: "long bind resolves source and booleans",
             volume: ["type": "bind", "source": "./x", "target": "/x", "read_only": "yes"],
             normalized: "{type: bind, source: /proj/x, target: /x, read_only: true}"),
        Case(name: "long tmpfs size", volume: ["type": "tmpfs", "target": "/t", "tmpfs": ["size": "64m"]],
             normalized: "{type: tmpfs, target: /t, tmpfs: {size: 67108864}}"),
    ])
    func normalizes(_ c: Case) {
        let (service, diagnostics) = normalizeService(["image": "x", "volumes": [c.volume]])
        #expect(diagnostics.isEmpty)
        #expect(render(service["volumes"]?.sequenceItems?.first ?? "missing") == c.normalized)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var volume: String
        var message: String
        var testDescription: String { volume }
    }

    @Test(arguments: [
        BadCase(volume: "data:/d:rx", message: #"invalid volume "data:/d:rx": unknown mode "rx" (use ro, rw, z, Z, nocopy or a propagation such as rshared)"#),
        BadCase(volume: "data:relative", message: #"invalid volume "data:relative": target "relative" is not an absolute path"#),
        BadCase(volume: "a:/b:ro:x", message: #"invalid volume "a:/b:ro:x": too many ":" (expected [SOURCE:]TARGET[:MODE])"#),
        BadCase(volume: ":/b", message: #"invalid volume ":/b": empty source"#),
        BadCase(volume: "", message: #"invalid volume "": empty target"#),
    ])
    func rejects(_ c: BadCase) {
        guard case let .failure(error) = VolumeSyntax.parse(c.volume) else {
            Issue.record("accepted \(c.volume)")
            return
        }
        #expect(error.message == c.message)
    }

    @Test func tmpfsStringBecomesList() {
        let (service, _) = normalizeService(["image": "x", "tmpfs": "/run"])
        #expect(render(service["tmpfs"] ?? "missing") == "[/run]")
    }
}
