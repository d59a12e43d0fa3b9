#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Points at a blob: its media type, digest and size (OCI content descriptor).
public struct Descriptor: Hashable, Sendable, Codable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// The platform an image runs on.
public struct Platform: Hashable, Sendable, Codable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// The platform berth itself runs on (GOARCH naming, as OCI uses).
    public static var current: Platform {
        #if arch(x86_64)
        Platform(architecture: "amd64", os: "linux")
        #elseif arch(arm64)
        Platform(architecture: "arm64", os: "linux", variant: "v8")
        #else
        Platform(architecture: "unknown", os: "linux")
        #endif
    }

    /// Whether an image for `self` runs here (`other` is the host).
    public func matches(_ other: Platform) -> Bool {
        guard architecture == other.architecture, os == other.os else { return false }
        if let v = variant, let w = other.variant { return v == w }
        return true
    }
}

/// An image manifest (OCI `application/vnd.oci.image.manifest.v1+json` or
/// Docker schema2).
public struct Manifest: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Decodes and checks a manifest document.
    public static func decode(_ bytes: [UInt8]) throws(OCIError) -> Manifest {
        let m: Manifest = try decodeDocument(bytes, "image manifest")
        try m.check()
        return m
    }

    /// The checks `decode` makes, for a manifest decoded by other means.
    public func check() throws(OCIError) {
        guard schemaVersion == 2 else {
            throw .invalidDocument("image manifest", "schemaVersion \(schemaVersion) is not supported (expected 2)")
        }
        if let t = mediaType, !MediaType.isManifest(t) {
            throw .invalidDocument("image manifest", "unexpected mediaType \"\(t)\"")
        }
        for layer in layers where MediaType.layerCompression(layer.mediaType) == nil {
            throw .invalidDocument("image manifest", "unsupported layer media type \"\(layer.mediaType)\"")
        }
    }

    /// Canonical bytes (sorted keys) for digests berth computes itself.
    public func encoded() -> [UInt8] { encodeDocument(self) }
}

/// An image index / Docker manifest list.
public struct ImageIndex: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String? = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    public static func decode(_ bytes: [UInt8]) throws(OCIError) -> ImageIndex {
        let i: ImageIndex = try decodeDocument(bytes, "image index")
        guard i.schemaVersion == 2 else {
            throw .invalidDocument("image index", "schemaVersion \(i.schemaVersion) is not supported (expected 2)")
        }
        return i
    }

    public func encoded() -> [UInt8] { encodeDocument(self) }

    /// The manifest for `platform`, or the only manifest, or nil.
    public func manifest(for platform: Platform) -> Descriptor? {
        let images = manifests.filter { MediaType.isManifest($0.mediaType) || MediaType.isIndex($0.mediaType) }
        if let m = images.first(where: { $0.platform?.matches(platform) ?? false }) { return m }
        let untyped = images.filter { $0.platform == nil }
        return untyped.count == 1 ? untyped[0] : (images.count == 1 ? images[0] : nil)
    }
}

/// Annotation keys berth reads and writes.
public enum Annotation {
    /// OCI layout: the tag (or full reference) of a manifest in index.json.
    public static let refName = "org.opencontainers.image.ref.name"
    /// containerd / Docker 25+: the full image name in index.json.
    public static let containerdImageName = "io.containerd.image.name"
}

func decodeDocument<T: Decodable>(_ bytes: [UInt8], _ what: String) throws(OCIError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch let error as DecodingError {
        throw .invalidDocument(what, describe(error))
    } catch {
        throw .invalidDocument(what, "\(error)")
    }
}

func encodeDocument<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding these plain value types cannot fail; an empty document would
    // fail digest verification loudly rather than silently.
    return (try? Array(encoder.encode(value))) ?? []
}

func describe(_ error: DecodingError) -> String {
    func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "" : "\(p.hasPrefix(".") ? String(p.dropFirst()) : p): "
    }
    switch error {
    case let .dataCorrupted(c): return path(c) + (c.underlyingError.map { "\($0)" } ?? c.debugDescription)
    case let .keyNotFound(key, c): return path(c) + "missing field \"\(key.stringValue)\""
    case let .typeMismatch(type, c): return path(c) + "expected \(type)"
    case let .valueNotFound(type, c): return path(c) + "expected \(type), found null"
    @unknown default: return "\(error)"
    }
}
