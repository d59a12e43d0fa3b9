import CYAML
import Diagnostics

/// A direct writer for the trees `config` prints: block mappings and
/// sequences of untagged scalars. It follows libyaml's emitter step by step
/// (emitter.c: `write_indent`, `write_indicator`, `increase_indent`, the
/// plain, single- and double-quoted scalar writers, indentless sequences
/// under mapping keys, `[]`/`{}` for empty collections) with the settings
/// `YAMLEmitter` gives libyaml (unicode, unlimited width, LF breaks), so its
/// text is byte-identical to libyaml's. Anything outside that subset (tags,
/// block scalars, multi-line or long keys, collection keys, a scalar root)
/// makes `emit` return nil and `YAMLEmitter` hands the tree to libyaml.
/// Writing bytes directly avoids libyaml's event per node (a copy and a
/// free of every scalar), which was most of `config`'s output time.
struct BlockWriter {
    private var out: [UInt8] = []
    private let bestIndent: Int
    // libyaml's emitter state, same names.
    private var indent = -1
    private var indents: [Int] = []
    private var column = 0
    private var whitespace = true
    private var indention = true

    /// Thrown (privately) when the tree leaves the supported subset.
    private struct Unsupported: Error {}

    private init(indent: Int) {
        bestIndent = indent
        out.reserveCapacity(1 << 16)
    }

    /// The text libyaml would write for `node`, or nil when `node` needs
    /// something this writer does not do. A long block mapping under a key
    /// of the root mapping (`config`'s `services`) is written in two halves
    /// at once, the second on another thread (see `emitSplit`).
    static func emit(_ node: Node, indent: Int) -> String? {
        guard !node.isScalar else { return nil }
        if let text = emitSplit(node, indent: indent) { return text }
        var writer = BlockWriter(indent: indent)
        do {
            try withExtendedLifetime(node) {
                try writer.node(Unmanaged.passUnretained(node.storage), mapping: false)
            }
            // Document end (implicit): a final line break.
            writer.writeIndent()
        } catch {
            return nil
        }
        return String(decoding: writer.out, as: UTF8.self)
    }

    /// The fewest entries a mapping needs to be written in two halves.
    static let splitThreshold = 64

    /// `emit` in two parts for a root mapping whose value under some key is
    /// an untagged block mapping of at least `splitThreshold` entries: this
    /// thread writes the text up to the middle of that mapping, another
    /// thread the rest, from the state libyaml is in between two entries of
    /// a block mapping at that depth. That state does not depend on what
    /// the entries before wrote: each entry starts with a line break
    /// (`indention` is false after any value), so the column is not read,
    /// and `whitespace` is false too. The first part's final state is
    /// checked against it, and anything unexpected (an error, another
    /// state) writes the whole tree in one piece instead, so the text is
    /// the one-piece text in every case. Nil when the tree has no such
    /// mapping or needs libyaml.
    static func emitSplit(_ root: Node, indent: Int) -> String? {
        guard root.tag == nil, case let .mapping(pairs) = root.kind,
              let at = pairs.firstIndex(where: { pair in
                  guard pair.value.tag == nil, case let .mapping(inner) = pair.value.kind else { return false }
                  return inner.count >= splitThreshold
              }),
              case let .mapping(inner) = pairs[at].value.kind
        else { return nil }
        let middle = inner.count / 2
        // Between two entries of the mapping under a root key: the root
        // mapping's indent (0) pushed on the document's (-1), the inner
        // mapping's indent `indent` current.
        let between = (indent: indent, indents: [-1, 0])
        let (head, tail) = Concurrently.run({ () -> BlockWriter? in
            var writer = BlockWriter(indent: indent)
            do {
                try withExtendedLifetime(root) {
                    writer.increaseIndent(flow: false, indentless: false)
                    for i in pairs.indices[..<at] { try writer.pair(pairs[i]) }
                    try writer.key(entry: Unmanaged.passUnretained(pairs[at].key.storage))
                    writer.increaseIndent(flow: false, indentless: false)
                    for i in inner.indices[..<middle] { try writer.pair(inner[i]) }
                }
            } catch {
                return nil
            }
            return writer
        }, beside: { () -> [UInt8]? in
            var writer = BlockWriter(indent: indent)
            writer.indent = between.indent
            writer.indents = between.indents
            writer.column = 1
            writer.whitespace = false
            writer.indention = false
            do {
                try withExtendedLifetime(root) {
                    for i in inner.indices[middle...] { try writer.pair(inner[i]) }
                    writer.popIndent()
                    for i in pairs.indices[(at + 1)...] { try writer.pair(pairs[i]) }
                    writer.popIndent()
                    writer.writeIndent()
                }
            } catch {
                return nil
            }
            return writer.out
        })
        guard let head, let tail, head.indent == between.indent, head.indents == between.indents,
              !head.whitespace, !head.indention
        else { return nil }
        var bytes = head.out
        bytes.append(contentsOf: tail)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: libyaml's primitives

    private mutating func put(_ byte: UInt8) {
        out.append(byte)
        column += 1
    }

    private mutating func putBreak() {
        out.append(0x0A)
        column = 0
    }

    private mutating func increaseIndent(flow: Bool, indentless: Bool) {
        indents.append(indent)
        if indent < 0 {
            indent = flow ? bestIndent : 0
        } else if !indentless {
            indent += bestIndent
        }
    }

    private mutating func popIndent() {
        indent = indents.removeLast()
    }

    private mutating func writeIndent() {
        let target = max(indent, 0)
        if !indention || column > target || (column == target && !whitespace) { putBreak() }
        while column < target { put(0x20) }
        whitespace = true
        indention = true
    }

    private mutating func writeIndicator(_ byte: UInt8, needWhitespace: Bool, isWhitespace: Bool,
                                         isIndention: Bool) {
        if needWhitespace && !whitespace { put(0x20) }
        put(byte)
        whitespace = isWhitespace
        indention = indention && isIndention
    }

    // MARK: Nodes

    /// `yaml_emitter_emit_node` for a node that is not a mapping key.
    ///
    /// The tree is walked through unretained references to the nodes'
    /// storage. That is safe because the caller holds the tree for the
    /// whole walk (`withExtendedLifetime`) and no storage can change under
    /// it: `Node.Storage`'s fields are `let`, and `Node`'s setters allocate
    /// new storage rather than write into a shared one. A node copied out of its array costs an atomic
    /// retain and release of its storage, a cache miss on a tree this size,
    /// and while `config` renders, the other thread is reading (and
    /// retaining) the same nodes, so each such write would also take the
    /// cache line away from that core.
    private mutating func node(_ node: Unmanaged<Node.Storage>, mapping: Bool) throws {
        try node._withUnsafeGuaranteedRef { storage in
            if storage.tag != nil { throw Unsupported() }
            switch storage.kind {
            case let .scalar(text, requested):
                try scalar(text, requested: requested, isKey: false)
            case let .sequence(items):
                if items.isEmpty {
                    emptyFlow(open: 0x5B, close: 0x5D)
                    return
                }
                // Sequences under a mapping key are written indentless.
                increaseIndent(flow: false, indentless: mapping && !indention)
                try items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        if i + 1 < items.count { Self.prefetch(items[i + 1].storage) }
                        writeIndent()
                        writeIndicator(0x2D, needWhitespace: true, isWhitespace: false, isIndention: true)
                        try self.node(Unmanaged.passUnretained(items[i].storage), mapping: false)
                    }
                }
                popIndent()
            case let .mapping(pairs):
                if pairs.isEmpty {
                    emptyFlow(open: 0x7B, close: 0x7D)
                    return
                }
                increaseIndent(flow: false, indentless: false)
                try pairs.withUnsafeBufferPointer { pairs in
                    for i in pairs.indices {
                        if i + 1 < pairs.count {
                            Self.prefetch(pairs[i + 1].key.storage)
                            Self.prefetch(pairs[i + 1].value.storage)
                        }
                        try pair(key: Unmanaged.passUnretained(pairs[i].key.storage),
                                 value: Unmanaged.passUnretained(pairs[i].value.storage))
                    }
                }
                popIndent()
            }
        }
    }

    /// Starts loading a node's storage into the cache: the next sibling's,
    /// while the current one is written (the tree's nodes are spread over
    /// the heap, and most of the writer's time was spent waiting for them).
    private static func prefetch(_ storage: Node.Storage) {
        berth_yaml_prefetch(UnsafeRawPointer(Unmanaged.passUnretained(storage).toOpaque()))
    }

    /// One entry of a block mapping: its key on a line of its own, then its value.
    private mutating func pair(_ entry: Node.Pair) throws {
        try pair(key: Unmanaged.passUnretained(entry.key.storage), value: Unmanaged.passUnretained(entry.value.storage))
    }

    private mutating func pair(key: Unmanaged<Node.Storage>, value: Unmanaged<Node.Storage>) throws {
        try self.key(entry: key)
        try node(value, mapping: true)
    }

    /// A mapping entry's key and `:`.
    private mutating func key(entry key: Unmanaged<Node.Storage>) throws {
        writeIndent()
        try self.key(key)
        writeIndicator(0x3A, needWhitespace: false, isWhitespace: false, isIndention: false)
    }

    /// A simple key (libyaml's `check_simple_key`): an untagged one-line
    /// scalar of at most 128 bytes. Other keys need `? ` and are left to libyaml.
    private mutating func key(_ key: Unmanaged<Node.Storage>) throws {
        try key._withUnsafeGuaranteedRef { storage in
            guard storage.tag == nil, case let .scalar(text, requested) = storage.kind, text.utf8.count <= 128 else {
                throw Unsupported()
            }
            try scalar(text, requested: requested, isKey: true)
        }
    }

    /// `[]` or `{}`: libyaml writes empty collections in flow style.
    private mutating func emptyFlow(open: UInt8, close: UInt8) {
        writeIndicator(open, needWhitespace: true, isWhitespace: true, isIndention: false)
        increaseIndent(flow: true, indentless: false)
        popIndent()
        writeIndicator(close, needWhitespace: false, isWhitespace: false, isIndention: false)
    }

    private mutating func scalar(_ text: String, requested: ScalarStyle, isKey: Bool) throws {
        var copy = text
        try copy.withUTF8 { bytes in
            let analysis = ScalarAnalysis(utf8: bytes, of: text)
            // Multi-line text needs breaks and indentation inside the scalar
            // (or a double-quoted key): left to libyaml.
            if analysis.multiline { throw Unsupported() }
            var style = ScalarAnalysis.emittedStyle(for: text, requested: requested, isKey: isKey,
                                                    analysis: analysis)
            // libyaml's own choice on top (select_scalar_style); emittedStyle
            // already picks styles it keeps, so this changes nothing in practice.
            if style == .plain && (!analysis.blockPlainAllowed || (isKey && text.isEmpty)) { style = .singleQuoted }
            if style == .singleQuoted && !analysis.singleQuotedAllowed { style = .doubleQuoted }
            increaseIndent(flow: true, indentless: false)
            switch style {
            case .plain: plain(bytes)
            case .singleQuoted: singleQuoted(bytes)
            case .doubleQuoted: doubleQuoted(bytes, text)
            case .literal, .folded: throw Unsupported()
            }
            popIndent()
        }
    }

    /// Characters in UTF-8 bytes, as libyaml's column counts them.
    private static func characterCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for byte in bytes where byte & 0xC0 != 0x80 { n += 1 }
        return n
    }

    // MARK: Scalar writers (one line: unlimited width, no breaks in the text)

    private mutating func plain(_ bytes: UnsafeBufferPointer<UInt8>) {
        if !whitespace && !bytes.isEmpty { put(0x20) }
        out.append(contentsOf: bytes)
        column += Self.characterCount(bytes)
        whitespace = false
        indention = false
    }

    private mutating func singleQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        writeIndicator(0x27, needWhitespace: true, isWhitespace: false, isIndention: false)
        for byte in bytes {
            if byte == 0x27 { put(0x27) }
            out.append(byte)
            // libyaml's column counts characters: not continuation bytes.
            if byte & 0xC0 != 0x80 { column += 1 }
        }
        writeIndicator(0x27, needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    private mutating func doubleQuoted(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) {
        writeIndicator(0x22, needWhitespace: true, isWhitespace: false, isIndention: false)
        if bytes.allSatisfy({ $0 < 0x80 }) {
            for byte in bytes { doubleQuoted(Unicode.Scalar(byte)) }
        } else {
            for scalar in text.unicodeScalars { doubleQuoted(scalar) }
        }
        writeIndicator(0x22, needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    /// One character of a double-quoted scalar, escaped as libyaml does.
    private mutating func doubleQuoted(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        let escaped = !ScalarAnalysis.isPrintable(scalar) || v == 0xFEFF || v == 0x0A || v == 0x0D
            || v == 0x85 || v == 0x2028 || v == 0x2029 || v == 0x22 || v == 0x5C
        if !escaped {
            if v < 0x80 {
                put(UInt8(v))
            } else {
                UTF8.encode(scalar) { out.append($0) }
                column += 1
            }
            return
        }
        put(0x5C)
        switch v {
        case 0x00: put(0x30)  // 0
        case 0x07: put(0x61)  // a
        case 0x08: put(0x62)  // b
        case 0x09: put(0x74)  // t
        case 0x0A: put(0x6E)  // n
        case 0x0B: put(0x76)  // v
        case 0x0C: put(0x66)  // f
        case 0x0D: put(0x72)  // r
        case 0x1B: put(0x65)  // e
        case 0x22: put(0x22)
        case 0x5C: put(0x5C)
        case 0x85: put(0x4E)  // N
        case 0xA0: put(0x5F)  // _
        case 0x2028: put(0x4C)  // L
        case 0x2029: put(0x50)  // P
        default:
            let width: Int
            if v <= 0xFF {
                put(0x78)  // x
                width = 2
            } else if v <= 0xFFFF {
                put(0x75)  // u
                width = 4
            } else {
                put(0x55)  // U
                width = 8
            }
            var shift = (width - 1) * 4
            while shift >= 0 {
                let digit = UInt8((v >> UInt32(shift)) & 0x0F)
                put(digit < 10 ? 0x30 + digit : 0x41 + digit - 10)
                shift -= 4
            }
        }
    }
}
