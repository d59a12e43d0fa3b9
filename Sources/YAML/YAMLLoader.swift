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
            try EventReader(source: source, buffer: buffer).read(limits: limits)
        }
    }
}

/// Owns one libyaml parser over a borrowed buffer and feeds its events to a
/// `Composer`.
private struct EventReader {
    let source: SourceText
    let buffer: UnsafeBufferPointer<UInt8>
    /// The file's name, interned once for every mark of the document.
    let file: Mark.File

    init(source: SourceText, buffer: UnsafeBufferPointer<UInt8>) {
        self.source = source
        self.buffer = buffer
        file = Mark.File(source.file)
    }

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
            let mark = self.mark(event.start_mark)
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                continue
            case YAML_STREAM_END_EVENT:
                if !composer.diagnostics.isEmpty { throw DiagnosticsError(composer.diagnostics) }
                return (composer.root ?? Node(.scalar("", .plain), mark: Mark(file: source.file, line: 1, column: 1)),
                        composer.sawTag)
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw DiagnosticsError(composer.diagnostics + [Diagnostic(
                        at: mark, "multiple YAML documents are not supported",
                        hint: "split them into separate files")])
                }
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                try composer.alias(name, at: mark)
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let value = s.value.map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self)
                } ?? ""
                try composer.scalar(value, style: style(s.style), tag: string(s.tag),
                                    anchor: string(s.anchor), at: mark)
            case YAML_SEQUENCE_START_EVENT:
                let s = event.data.sequence_start
                try composer.start(.sequence, tag: string(s.tag), anchor: string(s.anchor), at: mark)
            case YAML_MAPPING_START_EVENT:
                let s = event.data.mapping_start
                try composer.start(.mapping, tag: string(s.tag), anchor: string(s.anchor), at: mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try composer.end()
            default:
                continue
            }
        }
    }

    private func mark(_ m: yaml_mark_t) -> Mark {
        Mark(file, line: Int(m.line) + 1, column: Int(m.column) + 1)
    }

    private func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: $0) }
    }

    private func style(_ s: yaml_scalar_style_t) -> ScalarStyle {
        switch s {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
