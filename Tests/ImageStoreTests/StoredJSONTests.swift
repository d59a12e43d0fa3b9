import Testing
@testable import ImageStore
import JSONCoding
import OCI

/// The image lookup's JSONCoding reading gives what Foundation's
/// JSONDecoder gives, and leaves what it cannot read (or what fails the
/// checks) to JSONDecoder, errors included.
@Suite struct StoredJSONTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var json: String
        var testDescription: String { name }
    }

    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)
    static let digestC = "sha256:" + String(repeating: "c", count: 64)

    @Test(arguments: [
        Case(name: "OCI manifest", json: """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(digestA)","size":581},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(digestB)","size":2152262,
                        "annotations":{"org.opencontainers.image.title":"layer.tar.gz"}}],
             "annotations":{"org.opencontainers.image.ref.name":"latest"}}
            """),
        Case(name: "Docker schema2 manifest, two layers, no annotations", json: """
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1472, "digest": "\(digestA)"},
              "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3, "digest": "\(digestB)"},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": 0, "digest": "\(digestC)"}
              ]
            }
            """),
    ])
    func readsManifestsAsJSONDecoderDoes(_ c: Case) throws {
        let bytes = Array(c.json.utf8)
        let fast = try #require(RecordCoding.decodeIfReadable(Manifest.self, from: bytes))
        #expect(fast == (try Manifest.decode(bytes)))
        #expect(try StoredJSON.manifest(bytes) == (try Manifest.decode(bytes)))
    }

    @Test(arguments: [
        Case(name: "Docker config with every runtime field", json: """
            {"architecture":"amd64","os":"linux","created":"2024-09-26T21:31:42.123456789Z","author":"x \\u00e9 \\"q\\"",
             "config":{"User":"1000:1000","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Env":["PATH=/usr/bin:/bin","A=b=c"],
                       "Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
                       "Volumes":{"/data":{}},"WorkingDir":"/srv","Labels":{"maintainer":"m","empty":""},
                       "StopSignal":"SIGQUIT","ArgsEscaped":true,"OnBuild":null,"Shell":["/bin/sh","-c"],"StopTimeout":7,
                       "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Timeout":5000000000,
                                      "StartPeriod":0,"Retries":3}},
             "rootfs":{"type":"layers","diff_ids":["\(digestB)","\(digestC)"]},
             "history":[{"created":"2024-09-26T21:31:42Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "},
                        {"created_by":"CMD [\\"sh\\"]","empty_layer":true,"comment":"buildkit.dockerfile.v0"}]}
            """),
        Case(name: "minimal config (busybox import)", json: """
            {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\(digestB)"]},
             "config":{"Cmd":["sh"]}}
            """),
        Case(name: "config without config", json: """
            {"architecture":"arm64","variant":"v8","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}
            """),
    ])
    func readsConfigsAsJSONDecoderDoes(_ c: Case) throws {
        let bytes = Array(c.json.utf8)
        let fast = try #require(RecordCoding.decodeIfReadable(ImageConfig.self, from: bytes))
        #expect(fast == (try ImageConfig.decode(bytes)))
        #expect(try StoredJSON.config(bytes) == (try ImageConfig.decode(bytes)))
    }

    @Test func readsRecordsAsJSONDecoderDoes() throws {
        let bytes = Array("""
            {"images":{"\(Self.digestA)":{"config":"\(Self.digestB)","size":1234567,"loaded":"2026-11-25T10:00:00.000000001Z"},
                       "\(Self.digestC)":{"config":"\(Self.digestC)","size":0,"loaded":"x"}},
             "tags":{"docker.io/library/busybox:latest":"\(Self.digestA)","localhost:5000/a/b:1":"\(Self.digestC)"}}
            """.utf8)
        let fast = try #require(ImageRecords(json: try RecordJSON.parse(bytes)))
        #expect(try encodeJSON(fast) == encodeJSON(try decodeJSON(ImageRecords.self, bytes)))
        let empty = Array(#"{"images":{},"tags":{},"other":1}"#.utf8)
        let fastEmpty = try #require(ImageRecords(json: try RecordJSON.parse(empty)))
        #expect(try encodeJSON(fastEmpty) == encodeJSON(try decodeJSON(ImageRecords.self, empty)))
    }

    /// Records JSONDecoder would refuse are refused here too (and then
    /// decoded by JSONDecoder, which reports them as before).
    @Test(arguments: [
        Case(name: "no tags", json: #"{"images":{}}"#),
        Case(name: "record without size", json: """
            {"images":{"\(digestA)":{"config":"\(digestB)","loaded":"x"}},"tags":{}}
            """),
        Case(name: "size as text", json: """
            {"images":{"\(digestA)":{"config":"\(digestB)","size":"1","loaded":"x"}},"tags":{}}
            """),
        Case(name: "tag to a bad digest", json: #"{"images":{},"tags":{"a:1":"sha256:12"}}"#),
        Case(name: "images as a list", json: #"{"images":[],"tags":{}}"#),
    ])
    func refusesRecordsJSONDecoderRefuses(_ c: Case) throws {
        let bytes = Array(c.json.utf8)
        #expect(ImageRecords(json: try RecordJSON.parse(bytes)) == nil)
        #expect(throws: (any Error).self) { try decodeJSON(ImageRecords.self, bytes) }
    }

    /// What JSONCoding cannot read, or what fails the checks, goes to
    /// JSONDecoder: the same error as `decode` gives.
    @Test(arguments: [
        Case(name: "not JSON", json: "{\"schemaVersion\":2,"),
        Case(name: "schema version 1", json: """
            {"schemaVersion":1,"config":{"mediaType":"a","digest":"\(digestA)","size":1},"layers":[]}
            """),
        Case(name: "bad digest", json: """
            {"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:zz","size":1},"layers":[]}
            """),
        Case(name: "unsupported layer", json: """
            {"schemaVersion":2,"config":{"mediaType":"a","digest":"\(digestA)","size":1},
             "layers":[{"mediaType":"text/plain","digest":"\(digestB)","size":1}]}
            """),
    ])
    func leavesBadManifestsToJSONDecoder(_ c: Case) {
        let bytes = Array(c.json.utf8)
        var original = ""
        do { _ = try Manifest.decode(bytes) } catch { original = "\(error)" }
        var fast = ""
        do { _ = try StoredJSON.manifest(bytes) } catch { fast = "\(error)" }
        #expect(!original.isEmpty)
        #expect(fast == original)
    }

    @Test func leavesBadConfigsToJSONDecoder() {
        let bytes = Array("""
            {"architecture":"amd64","os":"linux","rootfs":{"type":"tarballs","diff_ids":[]}}
            """.utf8)
        var original = ""
        do { _ = try ImageConfig.decode(bytes) } catch { original = "\(error)" }
        var fast = ""
        do { _ = try StoredJSON.config(bytes) } catch { fast = "\(error)" }
        #expect(!original.isEmpty)
        #expect(fast == original)
    }
}
