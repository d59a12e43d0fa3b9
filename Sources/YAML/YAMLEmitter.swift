import CYAML
import Diagnostics

/// A failure inside libyaml's emitter (it should not happen for trees the
/// loader produced; it names libyaml's problem text).
public struct YAMLEmitterError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { "cannot write YAML: \(problem)" }
}

/// Writes a node tree back as YAML the way libyaml's emitter does: block style,
/// keys in order, tags kept. Scalar styles are kept when they read back as
/// the same text; otherwise multi-line text becomes a literal block and the
/// rest is double-quoted. `YAMLLoader.load(emit(n))` equals `n` ignoring
/// marks and those style changes.
public enum YAMLEmitter {
    /// The YAML text of `node`, indented by `indent` spaces (2…9).
    public static func emit(_ node: Node, indent: Int = 2) throws -> String {
        let indent = min(max(indent, 2), 9)
        // Block collections of one-line untagged scalars (what `config`
        // prints) are written directly, with libyaml's exact layout.
        if let text = BlockWriter.emit(node, indent: indent) { return text }
        return try emitWithLibyaml(node, indent: indent)
    }

    /// `emit` through libyaml's emitter, whatever the tree.
    static func emitWithLibyaml(_ node: Node, indent: Int = 2) throws -> String {
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) != 0 else {
            throw YAMLEmitterError("out of memory initializing the emitter")
        }
        defer { yaml_emitter_delete(emitter) }
        let output = OutputBuffer()
        yaml_emitter_set_output(emitter, { data, buffer, size in
            guard let data, let buffer else { return 1 }
            let out = Unmanaged<OutputBuffer>.fromOpaque(data).takeUnretainedValue()
            out.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, Unmanaged.passUnretained(output).toOpaque())
        yaml_emitter_set_encoding(emitter, YAML_UTF8_ENCODING)
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_indent(emitter, Int32(min(max(indent, 2), 9)))
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_break(emitter, YAML_LN_BREAK)

        var writer = EventWriter(emitter: emitter)
        var event = yaml_event_t()
        yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
        try writer.emit(&event)
        yaml_document_start_event_initialize(&event, nil, nil, nil, 1)
        try writer.emit(&event)
        try writer.write(node, isKey: false)
        yaml_document_end_event_initialize(&event, 1)
        try writer.emit(&event)
        yaml_stream_end_event_initialize(&event)
        try writer.emit(&event)
        guard yaml_emitter_flush(emitter) != 0 else { throw writer.failure() }
        return String(decoding: output.bytes, as: UTF8.self)
    }
}

private final class OutputBuffer {
    var bytes: [UInt8] = []
}

private struct EventWriter {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    func emit(_ event: inout yaml_event_t) throws {
        // yaml_emitter_emit takes ownership of the event, even on failure.
        guard yaml_emitter_emit(emitter, &event) != 0 else { throw failure() }
    }

    func failure() -> YAMLEmitterError {
        YAMLEmitterError(emitter.pointee.problem.map { String(cString: $0) } ?? "unknown emitter error")
    }

    mutating func write(_ node: Node, isKey: Bool) throws {
        if let tag = node.tag {
            var bytes = Array(tag.utf8) + [0]
            try bytes.withUnsafeMutableBufferPointer { buffer in
                try write(node, isKey: isKey, tag: UnsafePointer(buffer.baseAddress))
            }
        } else {
            try write(node, isKey: isKey, tag: nil)
        }
    }

    private mutating func write(_ node: Node, isKey: Bool, tag: UnsafePointer<yaml_char_t>?) throws {
        var event = yaml_event_t()
        let implicit: Int32 = tag == nil ? 1 : 0
        switch node.kind {
        case let .scalar(value, requested):
            let style = ScalarAnalysis.emittedStyle(for: value, requested: requested, isKey: isKey)
            // libyaml copies the text into the event: the string's own
            // UTF-8 storage is passed, no array is made per scalar.
            var text = value
            let ok = text.withUTF8 { buffer in
                withUnsafePointer(to: 0 as yaml_char_t) { empty in
                    yaml_scalar_event_initialize(&event, nil, tag, buffer.baseAddress ?? empty,
                                                 Int32(clamping: buffer.count),
                                                 implicit, implicit, Self.libyamlStyle(style))
                }
            }
            guard ok != 0 else { throw YAMLEmitterError("invalid scalar") }
            try emit(&event)
        case let .sequence(items):
            guard yaml_sequence_start_event_initialize(&event, nil, tag, implicit,
                                                       YAML_BLOCK_SEQUENCE_STYLE) != 0 else {
                throw YAMLEmitterError("invalid sequence")
            }
            try emit(&event)
            for i in items.indices { try write(items[i], isKey: false) }
            yaml_sequence_end_event_initialize(&event)
            try emit(&event)
        case let .mapping(pairs):
            guard yaml_mapping_start_event_initialize(&event, nil, tag, implicit,
                                                      YAML_BLOCK_MAPPING_STYLE) != 0 else {
                throw YAMLEmitterError("invalid mapping")
            }
            try emit(&event)
            for i in pairs.indices {
                try write(pairs[i].key, isKey: true)
                try write(pairs[i].value, isKey: false)
            }
            yaml_mapping_end_event_initialize(&event)
            try emit(&event)
        }
    }

    private static func libyamlStyle(_ style: ScalarStyle) -> yaml_scalar_style_t {
        switch style {
        case .plain: YAML_PLAIN_SCALAR_STYLE
        case .singleQuoted: YAML_SINGLE_QUOTED_SCALAR_STYLE
        case .doubleQuoted: YAML_DOUBLE_QUOTED_SCALAR_STYLE
        case .literal: YAML_LITERAL_SCALAR_STYLE
        case .folded: YAML_FOLDED_SCALAR_STYLE
        }
    }
}
