// OCI owns the image formats as pure values: digests, descriptors, manifests,
// indexes, image configs, media types and image references. It parses and
// serializes; it never touches the disk, the network or the kernel.
import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A content address, `sha256:<64 lowercase hex>`. Only sha256 is accepted:
/// it is what Docker and every OCI registry use.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// `sha256`.
    public let algorithm: String
    /// The lowercase hex encoding (64 characters for sha256).
    public let encoded: String

    /// Parses `sha256:<hex>`; throws `OCIError.invalidDigest` otherwise.
    public init(parsing text: String) throws(OCIError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw .invalidDigest(text, "missing algorithm prefix (expected \"sha256:<hex>\")")
        }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        guard algorithm == "sha256" else {
            throw .invalidDigest(text, "unsupported digest algorithm \"\(algorithm)\" (only sha256)")
        }
        guard encoded.utf8.count == 64, encoded.utf8.allSatisfy(Digest.isLowerHex) else {
            throw .invalidDigest(text, "sha256 digests are 64 lowercase hex characters")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// A sha256 digest from its 64-character lowercase hex encoding.
    public init(sha256Hex hex: String) throws(OCIError) {
        try self.init(parsing: "sha256:" + hex)
    }

    /// The digest of `bytes`.
    public static func sha256<Bytes: Sequence>(of bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        var hasher = DigestHasher()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    public var description: String { "\(algorithm):\(encoded)" }

    /// The first 12 hex characters, as Docker shows image IDs.
    public var shortID: String { String(encoded.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    static func isLowerHex(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// The chain ID of a layer stack: `chain(L0) = diffID(L0)`,
    /// `chain(Ln) = sha256(chain(Ln-1) + " " + diffID(Ln))` (OCI image spec).
    public static func chainIDs(diffIDs: [Digest]) -> [Digest] {
        var result: [Digest] = []
        for diff in diffIDs {
            if let parent = result.last {
                result.append(.sha256(of: Array("\(parent) \(diff)".utf8)))
            } else {
                result.append(diff)
            }
        }
        return result
    }
}

/// Incremental sha256 over streamed content.
public struct DigestHasher {
    private var state = SHA256()
    /// Bytes hashed so far.
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> Digest {
        // Digits appended one by one: `joined()` on the strings ran
        // unspecialized and made the runtime scan the binary's conformance
        // records (once per process, ≈ 0.05 ms).
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in state.finalize() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        let hex = String(decoding: text, as: UTF8.self)
        // A freshly computed sha256 hex string is always a valid digest.
        return Digest(uncheckedSHA256Hex: hex)
    }
}

extension Digest {
    fileprivate init(uncheckedSHA256Hex hex: String) {
        self.algorithm = "sha256"
        self.encoded = hex
    }
}

/// Errors in image formats: bad digests, references, or documents.
public enum OCIError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidDigest(String, String)
    case invalidReference(String, String)
    case invalidDocument(String, String)

    public var description: String {
        switch self {
        case let .invalidDigest(text, why): "invalid digest \"\(text)\": \(why)"
        case let .invalidReference(text, why): "invalid reference format \"\(text)\": \(why)"
        case let .invalidDocument(what, why): "invalid \(what): \(why)"
        }
    }
}
