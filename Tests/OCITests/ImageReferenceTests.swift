import OCI
import Testing

@Suite struct ImageReferenceTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        var input: String
        var normalized: String
        var familiar: String
        var testDescription: String { input }
    }

    static let valid: [Valid] = [
        .init(input: "busybox", normalized: "docker.io/library/busybox:latest", familiar: "busybox:latest"),
        .init(input: "busybox:1.36", normalized: "docker.io/library/busybox:1.36", familiar: "busybox:1.36"),
        .init(input: "library/busybox", normalized: "docker.io/library/busybox:latest", familiar: "busybox:latest"),
        .init(input: "docker.io/busybox", normalized: "docker.io/library/busybox:latest", familiar: "busybox:latest"),
        .init(input: "index.docker.io/busybox", normalized: "docker.io/library/busybox:latest", familiar: "busybox:latest"),
        .init(input: "user/app", normalized: "docker.io/user/app:latest", familiar: "user/app:latest"),
        .init(input: "localhost/app", normalized: "localhost/app:latest", familiar: "localhost/app:latest"),
        .init(input: "localhost:5000/app:v1", normalized: "localhost:5000/app:v1", familiar: "localhost:5000/app:v1"),
        .init(input: "127.0.0.1:5000/a/b/c", normalized: "127.0.0.1:5000/a/b/c:latest", familiar: "127.0.0.1:5000/a/b/c:latest"),
        .init(input: "ghcr.io/org/my_app__x-y.z:Tag_1.0-rc", normalized: "ghcr.io/org/my_app__x-y.z:Tag_1.0-rc", familiar: "ghcr.io/org/my_app__x-y.z:Tag_1.0-rc"),
        .init(input: "[::1]:5000/app", normalized: "[::1]:5000/app:latest", familiar: "[::1]:5000/app:latest"),
        .init(input: "Registry.Example.com/app", normalized: "Registry.Example.com/app:latest", familiar: "Registry.Example.com/app:latest"),
        .init(input: "busybox@sha256:" + String(repeating: "ab", count: 32),
              normalized: "docker.io/library/busybox@sha256:" + String(repeating: "ab", count: 32),
              familiar: "busybox@sha256:" + String(repeating: "ab", count: 32)),
        .init(input: "busybox:1@sha256:" + String(repeating: "0", count: 64),
              normalized: "docker.io/library/busybox:1@sha256:" + String(repeating: "0", count: 64),
              familiar: "busybox:1@sha256:" + String(repeating: "0", count: 64)),
    ]

    @Test(arguments: valid)
    func normalizesLikeDocker(_ c: Valid) throws {
        let ref = try ImageReference.parse(c.input)
        #expect(ref.description == c.normalized)
        #expect(ref.familiarDescription == c.familiar)
        #expect(try ImageReference.parse(ref.description) == ref)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var input: String
        var reason: String
        var testDescription: String { input }
    }

    static let invalid: [Invalid] = [
        .init(input: "", reason: "empty reference"),
        .init(input: "Busybox", reason: "must be lowercase"),
        .init(input: "user/App", reason: "must be lowercase"),
        .init(input: "busybox:", reason: "invalid tag"),
        .init(input: "busybox:-x", reason: "invalid tag"),
        .init(input: "busybox:" + String(repeating: "a", count: 129), reason: "invalid tag"),
        .init(input: "a//b", reason: "empty path component"),
        .init(input: "-app", reason: "invalid repository name component"),
        .init(input: "app-", reason: "invalid repository name component"),
        .init(input: "a..b", reason: "invalid repository name component"),
        .init(input: "a___b", reason: "invalid repository name component"),
        .init(input: "localhost:port/app", reason: "invalid port"),
        .init(input: "busybox@sha256:abc", reason: "64 lowercase hex"),
        .init(input: "busybox@md5:" + String(repeating: "a", count: 32), reason: "unsupported digest algorithm"),
        .init(input: String(repeating: "a", count: 64), reason: "64-byte hexadecimal"),
        .init(input: "example.com/" + String(repeating: "a", count: 250), reason: "255 characters"),
        .init(input: "my image", reason: "invalid repository name component"),
    ]

    @Test(arguments: invalid)
    func rejectsWithAClearReason(_ c: Invalid) {
        do {
            let ref = try ImageReference.parse(c.input)
            Issue.record("accepted \(ref)")
        } catch {
            #expect(error.description.contains(c.reason), "\(error.description)")
            #expect(error.description.hasPrefix("invalid reference format"))
        }
    }
}
