import Testing
@testable import Runtime

@Suite struct LogsEncodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var stream: LogStream
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain line", text: "hello\n", stream: .stdout,
             expected: #"{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:20:30.123456789Z"}"# + "\n"),
        Case(name: "quotes and backslashes", text: "say \"hi\" \\o/\n", stream: .stderr,
             expected: #"{"log":"say \"hi\" \\o/\n","stream":"stderr","time":"2024-05-01T10:20:30.123456789Z"}"# + "\n"),
        Case(name: "control characters", text: "a\tb\u{1b}[0m\r\n", stream: .stdout,
             expected: #"{"log":"a\tb\u001b[0m\r\n","stream":"stdout","time":"2024-05-01T10:20:30.123456789Z"}"# + "\n"),
        Case(name: "unicode kept as is", text: "grüße ✓\n", stream: .stdout,
             expected: #"{"log":"grüße ✓\n","stream":"stdout","time":"2024-05-01T10:20:30.123456789Z"}"# + "\n"),
    ]

    static let time = Timestamp(seconds: 1_714_558_830, nanoseconds: 123_456_789)

    @Test(arguments: cases)
    func encodesLikeDockerJSONFile(_ c: Case) throws {
        let entry = LogEntry(stream: c.stream, text: c.text, time: Self.time)
        #expect(entry.encoded == c.expected)
        let back = try #require(LogEntry.decode(String(c.expected.dropLast())))
        #expect(back == entry)
    }

    @Test func splitterCutsAtNewlinesAndKeepsPartialLines() {
        var s = LogLineSplitter(stream: .stdout, maxLine: 8)
        let t = Self.time
        #expect(s.feed(Array("one\ntw".utf8), at: t).map(\.text) == ["one\n"])
        #expect(s.feed(Array("o\n".utf8), at: t).map(\.text) == ["two\n"])
        // A line longer than maxLine is cut into partial entries without newline.
        #expect(s.feed(Array("0123456789".utf8), at: t).map(\.text) == ["01234567"])
        #expect(s.finish(at: t)?.text == "89")
        #expect(s.finish(at: t) == nil)
    }

    @Test func invalidUTF8BecomesReplacementCharacter() {
        var s = LogLineSplitter(stream: .stdout)
        let entries = s.feed([0x61, 0xff, 0x0a], at: Self.time)
        #expect(entries.map(\.text) == ["a\u{FFFD}\n"])
    }

    @Test func tornLastLineIsLeftForTheNextRead() {
        let full = LogEntry(stream: .stdout, text: "a\n", time: Self.time).encoded
        let bytes = Array((full + "{\"log\":\"b").utf8)
        let (entries, consumed) = JSONLogReader.parse(bytes[...])
        #expect(entries.map(\.text) == ["a\n"])
        #expect(consumed == full.utf8.count)
    }
}

@Suite struct LogsRotationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var options: LogOptions
        var steps: [LogRotation.Step]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "max-file 1 truncates", options: LogOptions(maxSize: 100, maxFile: 1), steps: [.truncate("l")]),
        Case(name: "max-file 2 keeps one rotated file", options: LogOptions(maxSize: 100, maxFile: 2),
             steps: [.remove("l.1"), .rename("l", "l.1")]),
        Case(name: "max-file 4 shifts oldest first", options: LogOptions(maxSize: 100, maxFile: 4),
             steps: [.remove("l.3"), .rename("l.2", "l.3"), .rename("l.1", "l.2"), .rename("l", "l.1")]),
    ]

    @Test(arguments: cases)
    func rotationSteps(_ c: Case) {
        #expect(LogRotation.steps(logPath: "l", options: c.options) == c.steps)
    }

    @Test func rotatesOnlyWhenTheEntryWouldOverflow() {
        let o = LogOptions(maxSize: 100, maxFile: 3)
        #expect(!LogRotation.needsRotation(currentSize: 0, entrySize: 500, options: o))
        #expect(!LogRotation.needsRotation(currentSize: 50, entrySize: 50, options: o))
        #expect(LogRotation.needsRotation(currentSize: 50, entrySize: 51, options: o))
        #expect(!LogRotation.needsRotation(currentSize: 1 << 30, entrySize: 1, options: LogOptions()))
    }

    @Test func writerRotatesAndReaderReadsAcrossFilesInOrder() throws {
        let dir = try TempDir()
        let path = dir.path + "/c-json.log"
        let options = LogOptions(maxSize: 200, maxFile: 3)
        let writer = try JSONLogWriter(path: path, options: options)
        for i in 0..<20 {
            try writer.write(LogEntry(stream: .stdout, text: "line \(i)\n", time: Timestamp(seconds: 1_700_000_000 + Int64(i))))
        }
        #expect(StateFile.exists(path + ".1"))
        #expect(StateFile.exists(path + ".2"))
        #expect(!StateFile.exists(path + ".3"))
        let texts = try JSONLogReader.entries(logPath: path, options: options).map(\.text)
        // The oldest lines were rotated away; what is left is in order and ends with the last line.
        #expect(texts.last == "line 19\n")
        let numbers = texts.compactMap { Int($0.dropFirst(5).dropLast()) }
        #expect(numbers == Array(numbers.sorted()))
        #expect(numbers.count < 20 && numbers.count >= 6)
    }

    struct SelectCase: CustomTestStringConvertible, Sendable {
        var name: String
        var since: Int64?
        var until: Int64?
        var tail: Int?
        var expected: [String]
        var testDescription: String { name }
    }

    static let selectCases: [SelectCase] = [
        SelectCase(name: "everything", since: nil, until: nil, tail: nil, expected: ["a", "b", "c", "d"]),
        SelectCase(name: "tail 2", since: nil, until: nil, tail: 2, expected: ["c", "d"]),
        SelectCase(name: "tail 0", since: nil, until: nil, tail: 0, expected: []),
        SelectCase(name: "since", since: 12, until: nil, tail: nil, expected: ["c", "d"]),
        SelectCase(name: "until", since: nil, until: 11, tail: nil, expected: ["a", "b"]),
        SelectCase(name: "since, until and tail", since: 11, until: 13, tail: 2, expected: ["c", "d"]),
    ]

    @Test(arguments: selectCases)
    func selection(_ c: SelectCase) {
        let entries = ["a", "b", "c", "d"].enumerated().map {
            LogEntry(stream: .stdout, text: $0.element, time: Timestamp(seconds: 10 + Int64($0.offset)))
        }
        let chosen = JSONLogReader.select(entries, since: c.since.map { Timestamp(seconds: $0) },
                                          until: c.until.map { Timestamp(seconds: $0) }, tail: c.tail)
        #expect(chosen.map(\.text) == c.expected)
    }

    @Test func durationsAndTimes() {
        #expect(JSONLogReader.parseDuration("1h30m") == 5400)
        #expect(JSONLogReader.parseDuration("300ms") == 0.3)
        #expect(JSONLogReader.parseDuration("10") == nil)
        #expect(JSONLogReader.parseDuration("5x") == nil)
        let now = Timestamp(seconds: 1000)
        #expect(JSONLogReader.parseTime("10m", now: now) == Timestamp(seconds: 400))
        #expect(JSONLogReader.parseTime("2024-05-01T10:20:30Z", now: now) == Timestamp(seconds: 1_714_558_830))
        #expect(JSONLogReader.parseTime("2024-05-01T12:20:30+02:00", now: now) == Timestamp(seconds: 1_714_558_830))
        #expect(JSONLogReader.parseTime("1714558830.5", now: now) == Timestamp(seconds: 1_714_558_830, nanoseconds: 500_000_000))
        #expect(JSONLogReader.parseTime("yesterday", now: now) == nil)
    }
}

/// A temporary directory removed when the value goes away.
final class TempDir {
    let path: String
    init() throws {
        var template = Array("/tmp/berth-unit-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw SystemErrorForTests.mkdtemp }
        path = String(cString: p)
    }
    deinit { try? StateFile.removeTree(path) }
}

enum SystemErrorForTests: Error { case mkdtemp }

#if canImport(Glibc)
import Glibc
#endif

/// The json-file reader's byte-level fast path agrees with the general
/// JSON parser on every kind of line, and falls back when it must.
@Suite struct LogDecodeFastPathTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var stream: LogStream = .stdout
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "plain line", text: "hello world\n"),
        Case(name: "stderr", text: "oops\n", stream: .stderr),
        Case(name: "quotes and backslashes", text: "say \"hi\" \\ bye\n"),
        Case(name: "tab and carriage return", text: "a\tb\rc\n"),
        Case(name: "control byte (\\u escape: general parser)", text: "bell\u{07}\n"),
        Case(name: "non-ASCII", text: "grüße → 東京\n"),
        Case(name: "partial line without newline", text: "no newline"),
        Case(name: "empty", text: ""),
    ]

    @Test(arguments: cases)
    func decodesWhatTheWriterEncodes(_ c: Case) throws {
        let entry = LogEntry(stream: c.stream, text: c.text, time: try #require(Timestamp.parse("2026-11-24T22:00:00.123456789Z")))
        let line = Array(entry.encoded.utf8.dropLast())[...]
        #expect(LogEntry.decode(bytes: line) == entry)
        #expect(LogEntry.decode(String(decoding: line, as: UTF8.self)) == entry)
        if c.text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            #expect(LogEntry.decodeFast(line) == entry, "fast path not taken")
        }
    }

    @Test func foreignLayoutsFallBackOrFail() {
        let reordered = Array(#"{"stream":"stdout","log":"x\n","time":"2026-11-24T22:00:00Z"}"#.utf8)[...]
        #expect(LogEntry.decodeFast(reordered) == nil)
        #expect(LogEntry.decode(bytes: reordered)?.text == "x\n")
        #expect(LogEntry.decode(bytes: Array(#"{"log":"x","stream":"stdin","time":"2026-11-24T22:00:00Z"}"#.utf8)[...]) == nil)
        #expect(LogEntry.decode(bytes: Array(#"{"log":"torn"#.utf8)[...]) == nil)
    }
}
