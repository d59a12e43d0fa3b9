import CYAML
import Diagnostics

/// Loads one YAML document into a `Node` tree with libyaml's event parser.
///
/// Every node carries the `Mark` where it starts. Anchors and aliases are
/// expanded, merge keys (`<<`) resolved with YAML's override order, key
/// order kept, duplicate keys rejected. Every problem is a
/// `DiagnosticsError` with a 1-based file:line:column.
public enum YAMLLoader {
    /// Loads `text`, naming `file` in marks and errors.
    public static func load(_ text: String, file: String, limits: YAMLLimits = .default) throws -> Node {
        try load(bytes: Array(text.utf8), file: file, limits: limits)
    }

    /// Loads raw bytes, which must be UTF-8 (a UTF-8 byte order mark is
    /// allowed). An empty document yields a null scalar at 1:1.
    public static func load(bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws -> Node {
        try loadNotingTags(bytes: bytes, file: file, limits: limits).node
    }

    /// `load(bytes:file:limits:)`, telling also whether any node of the
    /// document has an explicit tag (a loader that gives some tags a
    /// meaning can then skip looking for them in an untagged tree).
    public static func loadNotingTags(bytes: [UInt8], file: String,
                                      limits: YAMLLimits = .default) throws -> (node: Node, tagged: Bool) {
        let source = SourceText(bytes: bytes, file: file)
        if bytes.count > limits.maxBytes {
            throw DiagnosticsError(Diagnostic(
                at: Mark(file: file, line: 1, column: 1),
                "file is \(bytes.count) bytes, larger than the limit of \(limits.maxBytes) bytes"))
        }
        if let (offset, problem) = SourceText.firstInvalidUTF8(bytes) {
            var message = problem
            if offset == 0, bytes.count >= 2,
               (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) {
                message = "file is UTF-16 (byte order mark found); only UTF-8 is supported"
            }
            throw DiagnosticsError(Diagnostic(at: source.mark(atByte: offset), message))
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            if buffer.count >= SplitPlan.minimumBytes, let plan = SplitPlan(buffer),
               let read = SplitReader(file: file, buffer: buffer, plan: plan, limits: limits).read() {
                return read
            }
            return try EventReader(source: source, buffer: buffer).read(limits: limits)
        }
    }

    /// `loadNotingTags` in one piece, never split (tests compare the two).
    static func loadWhole(bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws -> (node: Node, tagged: Bool) {
        try bytes.withUnsafeBufferPointer { buffer in
            try EventReader(source: SourceText(bytes: bytes, file: file), buffer: buffer).read(limits: limits)
        }
    }
}

/// Owns one libyaml parser over a borrowed buffer and feeds its events to a
/// `Composer`.
private struct EventReader {
    let source: SourceText
    let buffer: UnsafeBufferPointer<UInt8>

    /// The document's root and whether any node had an explicit tag.
    func read(limits: YAMLLimits) throws -> (Node, Bool) {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) != 0 else {
            throw DiagnosticsError(Diagnostic(at: Mark(file: source.file, line: 1, column: 1),
                                              "out of memory initializing the YAML parser"))
        }
        defer { yaml_parser_delete(parser) }
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            return (Node(.scalar("", .plain), mark: Mark(file: source.file, line: 1, column: 1)), false)
        }
        yaml_parser_set_input_string(parser, base, buffer.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        var composer = Composer(file: source.file, limits: limits)
        var documents = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) != 0 else {
                let problem = ParserProblem(parser: parser.pointee, source: source).error
                throw DiagnosticsError(composer.diagnostics + problem.diagnostics)
            }
            defer { yaml_event_delete(&event) }
            let mark = Mark(file: source.file, line: Int(event.start_mark.line) + 1,
                            column: Int(event.start_mark.column) + 1)
            switch try composer.feed(event, at: mark) {
            case .node:
                continue
            case .streamEnd:
                if !composer.diagnostics.isEmpty { throw DiagnosticsError(composer.diagnostics) }
                return (composer.root ?? Node(.scalar("", .plain), mark: Mark(file: source.file, line: 1, column: 1)),
                        composer.sawTag)
            case .documentStart:
                documents += 1
                if documents > 1 {
                    throw DiagnosticsError(composer.diagnostics + [Diagnostic(
                        at: mark, "multiple YAML documents are not supported",
                        hint: "split them into separate files")])
                }
            }
        }
    }
}

/// What an event meant to `Composer.feed`.
enum EventOutcome { case node, documentStart, streamEnd }

extension Composer {
    /// Hands one libyaml event, which starts at `mark`, to the composer.
    mutating func feed(_ event: yaml_event_t, at mark: Mark) throws -> EventOutcome {
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            try alias(name, at: mark)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = s.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self)
            } ?? ""
            try scalar(value, style: Self.style(s.style), tag: Self.string(s.tag),
                       anchor: Self.string(s.anchor), at: mark)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            try start(.sequence, tag: Self.string(s.tag), anchor: Self.string(s.anchor), at: mark)
        case YAML_MAPPING_START_EVENT:
            let s = event.data.mapping_start
            try start(.mapping, tag: Self.string(s.tag), anchor: Self.string(s.anchor), at: mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try end()
        default:
            // Stream start, document end.
            break
        }
        return .node
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: $0) }
    }

    private static func style(_ s: yaml_scalar_style_t) -> ScalarStyle {
        switch s {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
