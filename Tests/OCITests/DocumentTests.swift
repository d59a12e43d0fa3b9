import OCI
import Testing

@Suite struct DocumentTests {
    @Test func decodesADockerConfigWithRuntimeFields() throws {
        let json = #"""
        {"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05.123456789Z",
         "config":{"User":"app","Env":["PATH=/bin"],"Entrypoint":["/init"],"Cmd":["serve"],"WorkingDir":"/srv",
           "ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"a":"b"},"StopSignal":"SIGQUIT",
           "Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"],"Interval":30000000000,"Retries":3}},
         "rootfs":{"type":"layers","diff_ids":["sha256:\#(String(repeating: "1", count: 64))"]},
         "history":[{"created_by":"/bin/sh -c #(nop) CMD","empty_layer":true}]}
        """#
        let c = try ImageConfig.decode(Array(json.utf8))
        let r = c.runtime
        #expect(r.user == "app" && r.entrypoint == ["/init"] && r.cmd == ["serve"] && r.workingDir == "/srv")
        #expect(r.exposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(r.volumes?.keys.sorted() == ["/data"])
        #expect(r.stopSignal == "SIGQUIT")
        #expect(r.healthcheck?.test == ["CMD-SHELL", "curl -f localhost"])
        #expect(r.healthcheck?.interval == 30_000_000_000 && r.healthcheck?.retries == 3)
        #expect(c.rootfs.diffIDs.count == 1)
        #expect(c.history?.first?.emptyLayer == true)
        // Round trip.
        #expect(try ImageConfig.decode(c.encoded()) == c)
    }

    @Test func rejectsAConfigWithABadDiffID() {
        let json = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:xyz"]}}"#
        do { _ = try ImageConfig.decode(Array(json.utf8)); Issue.record("accepted") } catch {
            #expect(error.description.contains("rootfs.diff_ids"))
        }
    }

    struct MediaCase: CustomTestStringConvertible, Sendable {
        var type: String
        var manifest: Bool
        var index: Bool
        var compression: LayerCompression?
        var testDescription: String { type }
    }

    @Test(arguments: [
        MediaCase(type: MediaType.ociManifest, manifest: true, index: false, compression: nil),
        MediaCase(type: MediaType.dockerManifest, manifest: true, index: false, compression: nil),
        MediaCase(type: MediaType.ociIndex, manifest: false, index: true, compression: nil),
        MediaCase(type: MediaType.dockerManifestList, manifest: false, index: true, compression: nil),
        MediaCase(type: MediaType.dockerLayerGzip, manifest: false, index: false, compression: .gzip),
        MediaCase(type: MediaType.ociLayer, manifest: false, index: false, compression: .uncompressed),
        MediaCase(type: MediaType.ociLayerZstd, manifest: false, index: false, compression: .zstd),
    ])
    func dockerTypesAreEquivalents(_ c: MediaCase) {
        #expect(MediaType.isManifest(c.type) == c.manifest)
        #expect(MediaType.isIndex(c.type) == c.index)
        #expect(MediaType.layerCompression(c.type) == c.compression)
    }

    @Test func manifestAndIndexRoundTrip() throws {
        let d = Digest.sha256(of: Array("x".utf8))
        let m = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: d, size: 1),
                         layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: d, size: 2)])
        #expect(try Manifest.decode(m.encoded()) == m)
        let amd = Descriptor(mediaType: MediaType.ociManifest, digest: d, size: 3,
                             platform: Platform(architecture: "amd64", os: "linux"))
        let arm = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(of: [1]), size: 3,
                             platform: Platform(architecture: "arm64", os: "linux", variant: "v8"))
        let index = ImageIndex(manifests: [arm, amd])
        #expect(try ImageIndex.decode(index.encoded()) == index)
        #expect(index.manifest(for: Platform(architecture: "amd64", os: "linux")) == amd)
        #expect(index.manifest(for: Platform(architecture: "s390x", os: "linux")) == nil)
    }

    @Test func rejectsAManifestWithAnUnknownLayerType() {
        let d = String(repeating: "a", count: 64)
        let json = #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:\#(d)","size":1},"layers":[{"mediaType":"text/plain","digest":"sha256:\#(d)","size":1}]}"#
        #expect(throws: OCIError.self) { try Manifest.decode(Array(json.utf8)) }
    }
}
