/// An image reference normalized exactly as Docker does:
/// `busybox` → `docker.io/library/busybox:latest`, `localhost:5000/app`,
/// `name:tag`, `name@sha256:…`, `name:tag@sha256:…`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// `docker.io`, `localhost:5000`, `ghcr.io`, `[::1]:5000`.
    public var domain: String
    /// The repository path, e.g. `library/busybox`.
    public var path: String
    public var tag: String?
    public var digest: Digest?

    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// `domain/path`.
    public var name: String { "\(domain)/\(path)" }

    /// The short name Docker shows: `busybox`, `user/app`, `localhost:5000/app`.
    public var familiarName: String {
        guard domain == ImageReference.defaultDomain else { return name }
        if path.hasPrefix("library/") {
            let rest = path.dropFirst("library/".count)
            if !rest.contains("/") { return String(rest) }
        }
        return path
    }

    /// The fully normalized form, e.g. `docker.io/library/busybox:latest`.
    public var description: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The familiar form with tag/digest, e.g. `busybox:latest`.
    public var familiarDescription: String {
        var s = familiarName
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The same repository with another tag and no digest.
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: tag, digest: nil)
    }

    /// Parses and normalizes like Docker's `ParseNormalizedNamed` followed by
    /// `TagNameOnly` (a bare name gets `:latest`; a digest-only reference does not).
    public static func parse(_ text: String) throws(OCIError) -> ImageReference {
        var ref = try parseNormalized(text)
        if ref.tag == nil && ref.digest == nil { ref.tag = defaultTag }
        return ref
    }

    /// Parses without adding a default tag.
    public static func parseNormalized(_ text: String) throws(OCIError) -> ImageReference {
        func fail(_ why: String) -> OCIError { .invalidReference(text, why) }
        if text.isEmpty { throw fail("empty reference") }
        if text.utf8.count == 64 && text.utf8.allSatisfy(Digest.isLowerHex) {
            throw fail("cannot specify 64-byte hexadecimal strings as a repository name")
        }

        // Docker's splitDockerDomain: the first component is a domain when it
        // contains '.' or ':', is "localhost", or has an uppercase letter.
        var domain = defaultDomain
        var remainder = Substring(text)
        if let slash = text.firstIndex(of: "/") {
            let first = text[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                remainder = text[text.index(after: slash)...]
            }
        }
        if domain == "index.docker.io" { domain = defaultDomain }

        // Split off "@digest", then ":tag" (a ':' after the last '/').
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = String(remainder[remainder.index(after: at)...])
            do { digest = try Digest(parsing: digestText) } catch {
                throw fail(error.description)
            }
            remainder = remainder[..<at]
        }
        var tag: String?
        if let colon = remainder.lastIndex(of: ":"), !remainder[colon...].contains("/") {
            tag = String(remainder[remainder.index(after: colon)...])
            remainder = remainder[..<colon]
        }
        var path = String(remainder)
        if domain == defaultDomain && !path.contains("/") { path = "library/" + path }

        if path.lowercased() != path {
            throw fail("repository name (\(path)) must be lowercase")
        }
        try validateDomain(domain, fail)
        try validatePath(path, fail)
        if domain.utf8.count + 1 + path.utf8.count > 255 {
            throw fail("repository name must not be more than 255 characters")
        }
        if let tag { try validateTag(tag, fail) }
        return ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }

    private static func validateDomain(_ domain: String, _ fail: (String) -> OCIError) throws(OCIError) {
        var host = Substring(domain)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail("unterminated IPv6 address in \"\(domain)\"") }
            let inner = host[host.index(after: host.startIndex)..<close]
            if inner.isEmpty || !inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) {
                throw fail("invalid IPv6 address \"\(inner)\"")
            }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("invalid registry host \"\(domain)\"") }
                port = after.dropFirst()
            }
            host = ""
        } else if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if let port, port.isEmpty || !port.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw fail("invalid port \"\(port)\" in registry \"\(domain)\"")
        }
        if !domain.hasPrefix("[") {
            if host.isEmpty { throw fail("empty registry host") }
            for component in host.split(separator: ".", omittingEmptySubsequences: false) {
                let ok = !component.isEmpty && component.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
                    && component.first != "-" && component.last != "-"
                if !ok { throw fail("invalid registry host \"\(host)\"") }
            }
        }
    }

    private static func validatePath(_ path: String, _ fail: (String) -> OCIError) throws(OCIError) {
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if !isPathComponent(component) {
                throw fail(component.isEmpty ? "empty path component in repository name \"\(path)\""
                    : "invalid repository name component \"\(component)\" (allowed: lowercase letters, digits, and '.', '_', '__' or '-' between them)")
            }
        }
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
        var i = 0
        guard !bytes.isEmpty, alnum(bytes[0]) else { return false }
        while i < bytes.count {
            while i < bytes.count && alnum(bytes[i]) { i += 1 }
            if i == bytes.count { return true }
            // A separator: one '.', one '_', "__", or a run of '-'.
            if bytes[i] == UInt8(ascii: ".") {
                i += 1
            } else if bytes[i] == UInt8(ascii: "_") {
                i += 1
                if i < bytes.count && bytes[i] == UInt8(ascii: "_") { i += 1 }
            } else if bytes[i] == UInt8(ascii: "-") {
                while i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
            } else {
                return false
            }
            guard i < bytes.count, alnum(bytes[i]) else { return false }
        }
        return true
    }

    private static func validateTag(_ tag: String, _ fail: (String) -> OCIError) throws(OCIError) {
        let bytes = Array(tag.utf8)
        func word(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
        }
        let ok = !bytes.isEmpty && bytes.count <= 128 && word(bytes[0])
            && bytes.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
        if !ok {
            throw fail("invalid tag \"\(tag)\" (1-128 of letters, digits, '_', '.', '-'; not starting with '.' or '-')")
        }
    }
}
