import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Which output stream a log entry came from.
public enum LogStream: String, Sendable, Codable {
    case stdout, stderr
}

/// One json-file entry: `{"log":"hello\n","stream":"stdout","time":"…"}`.
public struct LogEntry: Equatable, Sendable {
    public var stream: LogStream
    /// The bytes as written by the container, including the trailing
    /// newline when the line had one.
    public var text: String
    public var time: Timestamp

    public init(stream: LogStream, text: String, time: Timestamp) {
        self.stream = stream
        self.text = text
        self.time = time
    }

    /// The entry as one line of Docker's json-file format, with "\n".
    public var encoded: String {
        var out = "{\"log\":"
        RecordJSON.quote(text, into: &out)
        out += ",\"stream\":\"\(stream.rawValue)\",\"time\":\"\(time.description)\"}\n"
        return out
    }

    /// Parses one json-file line as berth (and Docker) write it —
    /// `{"log":"…","stream":"…","time":"…"}` — straight from its bytes;
    /// any other layout goes through the general JSON parser.
    public static func decode(bytes line: ArraySlice<UInt8>) -> LogEntry? {
        if let e = decodeFast(line) { return e }
        return decode(String(decoding: line, as: UTF8.self))
    }

    private static let logKey = Array(#"{"log":""#.utf8)
    private static let streamKey = Array(#","stream":""#.utf8)
    private static let stdoutWord = Array("stdout".utf8)
    private static let stderrWord = Array("stderr".utf8)
    private static let timeKey = Array(#"","time":""#.utf8)

    static func decodeFast(_ line: ArraySlice<UInt8>) -> LogEntry? {
        var i = line.startIndex
        func expect(_ literal: [UInt8]) -> Bool {
            guard line.endIndex - i >= literal.count else { return false }
            for c in literal {
                if line[i] != c { return false }
                i += 1
            }
            return true
        }
        guard expect(logKey) else { return nil }
        // The log string: copied as is up to the first backslash, unescaped after.
        let textStart = i
        var text: [UInt8] = []
        var escaped = false
        while i < line.endIndex {
            let c = line[i]
            if c == 0x22 { break }                       // closing quote
            if c == 0x5c {                                // backslash
                if !escaped { text += line[textStart..<i]; escaped = true }
                i += 1
                guard i < line.endIndex else { return nil }
                switch line[i] {
                case 0x22: text.append(0x22)
                case 0x5c: text.append(0x5c)
                case 0x2f: text.append(0x2f)
                case 0x62: text.append(0x08)
                case 0x66: text.append(0x0c)
                case 0x6e: text.append(0x0a)
                case 0x72: text.append(0x0d)
                case 0x74: text.append(0x09)
                default: return nil                       // \u escapes: the general parser
                }
            } else if escaped {
                text.append(c)
            }
            i += 1
        }
        guard i < line.endIndex else { return nil }
        let textEnd = i
        i += 1
        guard expect(streamKey) else { return nil }
        let streamStart = i
        while i < line.endIndex, line[i] != 0x22 { i += 1 }
        let word = line[streamStart..<i]
        let stream: LogStream
        if word.elementsEqual(stdoutWord) { stream = .stdout } else if word.elementsEqual(stderrWord) { stream = .stderr } else { return nil }
        guard expect(timeKey) else { return nil }
        let timeStart = i
        while i < line.endIndex, line[i] != 0x22 { i += 1 }
        guard i < line.endIndex, let time = Timestamp.parse(rfc3339: Array(line[timeStart..<i])) else { return nil }
        i += 1
        guard i < line.endIndex, line[i] == 0x7d, i + 1 == line.endIndex else { return nil }
        let bytes = escaped ? text[...] : line[textStart..<textEnd]
        return LogEntry(stream: stream, text: String(decoding: bytes, as: UTF8.self), time: time)
    }

    /// Parses one json-file line; nil for a torn or foreign line.
    public static func decode(_ line: String) -> LogEntry? {
        guard let v = try? RecordJSON.parse(line), let text = v["log"]?.stringValue,
              let s = v["stream"]?.stringValue, let stream = LogStream(rawValue: s),
              let t = v["time"]?.stringValue, let time = Timestamp.parse(t) else { return nil }
        return LogEntry(stream: stream, text: text, time: time)
    }
}

/// Splits a byte stream into log entries at newlines, as Docker does: a line
/// longer than `maxLine` is cut into partial entries without a newline, and
/// what is left at end of stream becomes a last entry without a newline.
public struct LogLineSplitter: Sendable {
    public let stream: LogStream
    public let maxLine: Int
    private var pending: [UInt8] = []

    public init(stream: LogStream, maxLine: Int = 16 * 1024) {
        self.stream = stream
        self.maxLine = maxLine
    }

    /// Feeds bytes; returns the complete entries they finish.
    public mutating func feed(_ bytes: some Collection<UInt8>, at time: Timestamp) -> [LogEntry] {
        var entries: [LogEntry] = []
        for b in bytes {
            pending.append(b)
            if b == 0x0a || pending.count >= maxLine {
                entries.append(LogEntry(stream: stream, text: String(decoding: pending, as: UTF8.self), time: time))
                pending.removeAll(keepingCapacity: true)
            }
        }
        return entries
    }

    /// End of stream: the unterminated rest, if any.
    public mutating func finish(at time: Timestamp) -> LogEntry? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll() }
        return LogEntry(stream: stream, text: String(decoding: pending, as: UTF8.self), time: time)
    }
}

/// Docker's json-file rotation, as pure decisions.
public enum LogRotation {
    /// Whether writing `entrySize` more bytes onto a file of `currentSize`
    /// must rotate first (never for the first entry of an empty file).
    public static func needsRotation(currentSize: Int64, entrySize: Int, options: LogOptions) -> Bool {
        options.maxSize > 0 && currentSize > 0 && currentSize + Int64(entrySize) > options.maxSize
    }

    /// The file operations of one rotation, oldest first: remove
    /// `<log>.<maxFile-1>`, shift `.i` to `.i+1`, live file to `.1`. With
    /// `max-file` 1 the live file is truncated instead.
    public enum Step: Equatable, Sendable {
        case remove(String)
        case rename(String, String)
        case truncate(String)
    }

    public static func steps(logPath: String, options: LogOptions) -> [Step] {
        let keep = options.maxFile
        if keep <= 1 { return [.truncate(logPath)] }
        var steps: [Step] = [.remove("\(logPath).\(keep - 1)")]
        var i = keep - 2
        while i >= 1 {
            steps.append(.rename("\(logPath).\(i)", "\(logPath).\(i + 1)"))
            i -= 1
        }
        steps.append(.rename(logPath, "\(logPath).1"))
        return steps
    }

    /// Every file of a log, oldest first (rotated ones, then the live file).
    public static func files(logPath: String, options: LogOptions) -> [String] {
        var files: [String] = []
        var i = max(1, options.maxFile) - 1
        while i >= 1 {
            files.append("\(logPath).\(i)")
            i -= 1
        }
        return files + [logPath]
    }
}

/// Appends json-file entries to `<id>-json.log`, one `write` per entry
/// (entries are never torn), rotating by `max-size`/`max-file`.
public final class JSONLogWriter {
    public let path: String
    public let options: LogOptions
    private var fd: Int32
    private var size: Int64

    public init(path: String, options: LogOptions) throws {
        self.path = path
        self.options = options
        RecordRecycling.takeLog(path)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if fd < 0 { throw SystemError.current("open", path) }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    deinit { close(fd) }

    public func write(_ entry: LogEntry) throws {
        let bytes = Array(entry.encoded.utf8)
        if LogRotation.needsRotation(currentSize: size, entrySize: bytes.count, options: options) {
            try rotate()
        }
        try StateFile.writeAll(fd: fd, bytes, path: path)
        size += Int64(bytes.count)
    }

    private func rotate() throws {
        for step in LogRotation.steps(logPath: path, options: options) {
            switch step {
            case .remove(let p): unlink(p)
            case .rename(let a, let b):
                if Glibc.rename(a, b) != 0 && errno != ENOENT { throw SystemError.current("rename", "\(a) to \(b)") }
            case .truncate(let p):
                if ftruncate(fd, 0) != 0 { throw SystemError.current("ftruncate", p) }
                size = 0
                return
            }
        }
        close(fd)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if fd < 0 { throw SystemError.current("open", path) }
        size = 0
    }
}

/// Reading a container's log back (`berth logs`).
public enum JSONLogReader {
    /// Every entry across rotated files, oldest first.
    public static func entries(logPath: String, options: LogOptions) throws -> [LogEntry] {
        var all: [LogEntry] = []
        for file in LogRotation.files(logPath: logPath, options: options) {
            guard let bytes = try StateFile.read(file) else { continue }
            all += parse(bytes[...]).entries
        }
        return all
    }

    /// Parses complete lines; returns the entries and how many bytes were
    /// consumed (an unterminated last line is left for the next read).
    public static func parse(_ bytes: ArraySlice<UInt8>) -> (entries: [LogEntry], consumed: Int) {
        var entries: [LogEntry] = []
        var start = bytes.startIndex
        var i = start
        while i < bytes.endIndex {
            if bytes[i] == 0x0a {
                if let e = LogEntry.decode(bytes: bytes[start..<i]) { entries.append(e) }
                start = i + 1
            }
            i += 1
        }
        return (entries, start - bytes.startIndex)
    }

    /// Docker's `--since/--until/--tail` selection, applied in that order.
    public static func select(_ entries: [LogEntry], since: Timestamp?, until: Timestamp?, tail: Int?) -> [LogEntry] {
        var chosen = entries.filter { e in
            if let since, e.time < since { return false }
            if let until, e.time > until { return false }
            return true
        }
        if let tail, tail >= 0, chosen.count > tail { chosen = Array(chosen.suffix(tail)) }
        return chosen
    }

    /// `--since`/`--until` values: RFC 3339, Unix seconds, or a duration
    /// before `now` (`10m`, `1h30m`, `45s`).
    public static func parseTime(_ text: String, now: Timestamp) -> Timestamp? {
        if let d = parseDuration(text) { return now.adding(seconds: -d) }
        return Timestamp.parse(text)
    }

    /// Go-style durations: `300ms`, `1.5h`, `2h45m`.
    public static func parseDuration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let v = Double(number) else { return false }
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return false
            }
            total += v * scale
            number = ""; unit = ""; sawAny = true
            return true
        }
        for c in text {
            if c.isNumber || c == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(c)
            } else {
                guard !number.isEmpty else { return nil }
                unit.append(c)
            }
        }
        if !number.isEmpty || !unit.isEmpty { guard flush() else { return nil } }
        return sawAny ? total : nil
    }
}
