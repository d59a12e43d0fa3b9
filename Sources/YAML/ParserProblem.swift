import CYAML
import Diagnostics

/// Turns libyaml's error state into a human diagnostic at the right place.
/// libyaml's texts are terse ("found character that cannot start any
/// token"); the common ones are rephrased, the rest passed through.
struct ParserProblem {
    let error: DiagnosticsError

    init(parser: yaml_parser_t, source: SourceText) {
        let file = source.file
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        func mark(_ m: yaml_mark_t) -> Mark {
            Mark(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }
        switch parser.error {
        case YAML_MEMORY_ERROR:
            error = DiagnosticsError(Diagnostic(at: Mark(file: file, line: 1, column: 1),
                                                "out of memory while parsing YAML"))
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset, not a mark.
            let at = source.mark(atByte: parser.problem_offset)
            var message = problem
            if problem == "control characters are not allowed" {
                let value = parser.problem_value
                message = "control character U+\(Self.hex(value)) is not allowed in YAML"
            }
            error = DiagnosticsError(Diagnostic(at: at, message))
        default:
            let at = mark(parser.problem_mark)
            let contextMark = mark(parser.context_mark)
            error = DiagnosticsError(Self.describe(problem: problem, context: context,
                                                   at: at, contextMark: contextMark, source: source))
        }
    }

    private static func describe(problem: String, context: String?, at: Mark,
                                 contextMark: Mark, source: SourceText) -> Diagnostic {
        // A tab in the indentation of the offending line is the usual cause
        // of a scanner error on that line; say so and point at the tab.
        if let tab = indentationTab(line: at.line, source: source),
           problem.hasPrefix("found character that cannot start any token")
            || problem.contains("tab character")
            || problem.hasPrefix("did not find expected") {
            return Diagnostic(at: tab, "tabs are not allowed for indentation",
                              hint: "indent with spaces")
        }
        let contextText = context.map { "\($0) at \(contextMark.line):\(contextMark.column)" }
        switch problem {
        case "found character that cannot start any token":
            let c = source.scalar(atLine: at.line, column: at.column)
            if c == "\t" {
                return Diagnostic(at: at, "tabs are not allowed for indentation", hint: "indent with spaces")
            }
            if let c, c == "@" || c == "`" {
                return Diagnostic(at: at, "'\(c)' is reserved and cannot start a plain value",
                                  hint: "quote the value")
            }
            if let c {
                return Diagnostic(at: at, "unexpected character '\(c)'", hint: contextText)
            }
            return Diagnostic(at: at, "unexpected character", hint: contextText)
        case "mapping values are not allowed in this context":
            return Diagnostic(at: at, "unexpected ':' (a mapping value is not allowed here)",
                              hint: "quote the value if it contains \": \", or check the indentation")
        case "found unexpected end of stream":
            if let context, context.contains("quoted scalar") {
                return Diagnostic(at: contextMark, "unterminated quoted string",
                                  hint: "the closing quote is missing")
            }
            return Diagnostic(at: at, "unexpected end of file", hint: contextText)
        case "found a tab character that violates indentation",
             "found a tab character where an indentation space is expected":
            return Diagnostic(at: at, "tabs are not allowed for indentation", hint: "indent with spaces")
        case "did not find expected key":
            return Diagnostic(at: at, "expected a key here (is the line indented consistently?)",
                              hint: contextText)
        case "did not find expected '-' indicator":
            return Diagnostic(at: at, "expected a '- ' list item here (is the line indented consistently?)",
                              hint: contextText)
        case "did not find expected <document start>":
            return Diagnostic(at: at, "unexpected content after the end of the document",
                              hint: "only one YAML document per file; check for a stray closing bracket or '...'")
        case "could not find expected ':'":
            return Diagnostic(at: at, "expected ':' after a key", hint: contextText)
        case "found undefined tag handle":
            return Diagnostic(at: at, "undefined tag handle", hint: contextText)
        case "found unknown escape character":
            return Diagnostic(at: at, "unknown escape sequence in a double-quoted string",
                              hint: "write \\\\ for a backslash, or use single quotes")
        default:
            return Diagnostic(at: at, problem, hint: contextText)
        }
    }

    /// The mark of the first tab in the leading whitespace of `line`.
    private static func indentationTab(line: Int, source: SourceText) -> Mark? {
        var col = 1
        for b in source.lineBytes(line) {
            if b == 0x09 { return Mark(file: source.file, line: line, column: col) }
            if b != 0x20 { return nil }
            col += 1
        }
        return nil
    }

    private static func hex(_ v: Int32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
