/// Media types of the OCI image spec and their Docker schema2 equivalents.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociLayout = "application/vnd.oci.layout.header.v1+json"

    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayerForeignGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    /// What `docker save` (before 25) and `docker load` use for plain tar layers.
    public static let dockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar"

    /// An image manifest (OCI or Docker schema2).
    public static func isManifest(_ type: String) -> Bool {
        type == ociManifest || type == dockerManifest
    }

    /// A multi-platform index (OCI index or Docker manifest list).
    public static func isIndex(_ type: String) -> Bool {
        type == ociIndex || type == dockerManifestList
    }

    /// An image config (OCI or Docker).
    public static func isConfig(_ type: String) -> Bool {
        type == ociConfig || type == dockerConfig
    }

    /// How a layer blob is compressed, or nil if `type` is not a layer type.
    public static func layerCompression(_ type: String) -> LayerCompression? {
        switch type {
        case ociLayer, ociLayerNondistributable, dockerLayerTar: .uncompressed
        case ociLayerGzip, ociLayerNondistributableGzip, dockerLayerGzip, dockerLayerForeignGzip: .gzip
        case ociLayerZstd: .zstd
        default: nil
        }
    }
}

/// Compression of a layer blob.
public enum LayerCompression: String, Sendable, Hashable {
    case uncompressed, gzip, zstd

    /// Detects compression from the first bytes of a blob.
    public static func sniff(_ prefix: [UInt8]) -> LayerCompression {
        if prefix.count >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b { return .gzip }
        if prefix.count >= 4 && prefix[0] == 0x28 && prefix[1] == 0xb5 && prefix[2] == 0x2f && prefix[3] == 0xfd { return .zstd }
        return .uncompressed
    }

    /// The OCI layer media type for this compression.
    public var ociMediaType: String {
        switch self {
        case .uncompressed: MediaType.ociLayer
        case .gzip: MediaType.ociLayerGzip
        case .zstd: MediaType.ociLayerZstd
        }
    }
}
