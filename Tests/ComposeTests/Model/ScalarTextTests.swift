import Testing
@testable import Compose

@Suite struct ScalarTextTests {
    struct DurationCase: CustomTestStringConvertible, Sendable {
        var text: String
        var nanoseconds: Int64?
        var printed: String?
        var testDescription: String { text }
    }

    @Test(arguments: [
        DurationCase(text: "1m30s", nanoseconds: 90_000_000_000, printed: "1m30s"),
        DurationCase(text: "90s", nanoseconds: 90_000_000_000, printed: "1m30s"),
        DurationCase(text: "10ms", nanoseconds: 10_000_000, printed: "10ms"),
        DurationCase(text: "1h", nanoseconds: 3_600_000_000_000, printed: "1h0m0s"),
        DurationCase(text: "1h5m30s20ms", nanoseconds: 3_930_020_000_000, printed: "1h5m30.02s"),
        DurationCase(text: "1.5s", nanoseconds: 1_500_000_000, printed: "1.5s"),
        DurationCase(text: "250us", nanoseconds: 250_000, printed: "250µs"),
        DurationCase(text: "1500ns", nanoseconds: 1_500, printed: "1.5µs"),
        DurationCase(text: "0", nanoseconds: 0, printed: "0s"),
        DurationCase(text: "-2s", nanoseconds: -2_000_000_000, printed: "-2s"),
        DurationCase(text: "10", nanoseconds: nil, printed: nil),
        DurationCase(text: "1x", nanoseconds: nil, printed: nil),
        DurationCase(text: "s", nanoseconds: nil, printed: nil),
        DurationCase(text: "", nanoseconds: nil, printed: nil),
        DurationCase(text: "1.2.3s", nanoseconds: nil, printed: nil),
    ])
    func durations(_ c: DurationCase) {
        let d = ComposeDuration(parsing: c.text)
        #expect(d?.nanoseconds == c.nanoseconds)
        #expect(d?.description == c.printed)
    }

    struct SizeCase: CustomTestStringConvertible, Sendable {
        var text: String
        var bytes: Int64?
        var testDescription: String { text }
    }

    @Test(arguments: [
        SizeCase(text: "2b", bytes: 2),
        SizeCase(text: "1024kb", bytes: 1024 * 1024),
        SizeCase(text: "2048k", bytes: 2048 * 1024),
        SizeCase(text: "300m", bytes: 300 * 1024 * 1024),
        SizeCase(text: "512M", bytes: 512 * 1024 * 1024),
        SizeCase(text: "1gb", bytes: 1024 * 1024 * 1024),
        SizeCase(text: "1.5g", bytes: 1_610_612_736),
        SizeCase(text: "100k", bytes: 102_400),
        SizeCase(text: "65536", bytes: 65536),
        SizeCase(text: "1GiB", bytes: 1024 * 1024 * 1024),
        SizeCase(text: "12x", bytes: nil),
        SizeCase(text: "m", bytes: nil),
        SizeCase(text: "-1", bytes: nil),
        SizeCase(text: "", bytes: nil),
    ])
    func byteSizes(_ c: SizeCase) {
        #expect(ScalarText.byteSize(c.text) == c.bytes)
    }

    @Test func unlimitedSwap() {
        #expect(ScalarText.byteSize("-1", allowUnlimited: true) == -1)
    }

    struct WordsCase: CustomTestStringConvertible, Sendable {
        var text: String
        var words: [String]?
        var testDescription: String { text }
    }

    @Test(arguments: [
        WordsCase(text: "echo hello", words: ["echo", "hello"]),
        WordsCase(text: "sh -c 'echo $HOME && ls'", words: ["sh", "-c", "echo $HOME && ls"]),
        WordsCase(text: #"echo "a b" c\ d"#, words: ["echo", "a b", "c d"]),
        WordsCase(text: #"echo "say \"hi\"""#, words: ["echo", #"say "hi""#]),
        WordsCase(text: "  spaced   out  ", words: ["spaced", "out"]),
        WordsCase(text: "x ''", words: ["x", ""]),
        WordsCase(text: "unterminated 'quote", words: nil),
    ])
    func shellWords(_ c: WordsCase) {
        #expect(ScalarText.shellWords(c.text) == c.words)
    }

    @Test func booleans() {
        for yes in ["true", "True", "yes", "YES", "on", "y"] { #expect(ScalarText.composeBool(yes) == true) }
        for no in ["false", "FALSE", "no", "Off", "n"] { #expect(ScalarText.composeBool(no) == false) }
        #expect(ScalarText.composeBool("maybe") == nil)
        #expect(ScalarText.coreBool("yes") == nil)
    }
}
