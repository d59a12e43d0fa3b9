/// Bounds the loader enforces so that hostile or broken input fails with a
/// clear error instead of exhausting memory or time.
public struct YAMLLimits: Hashable, Sendable {
    /// The largest input accepted, in bytes.
    public var maxBytes: Int
    /// The deepest nesting of sequences and mappings accepted (the root
    /// collection is depth 1), counting what aliases expand to.
    public var maxDepth: Int
    /// The most nodes aliases may produce in total (each alias counts every
    /// node of the copy it yields). Stops "billion laughs" documents.
    public var maxAliasExpansion: Int

    public init(maxBytes: Int = 32 << 20, maxDepth: Int = 256, maxAliasExpansion: Int = 1_000_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
    }

    /// 32 MiB, depth 256, one million nodes from aliases.
    public static let `default` = YAMLLimits()
}
