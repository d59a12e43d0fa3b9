import Diagnostics
import Testing
@testable import Compose

@Suite struct DotEnvTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: [String: String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "simple", text: "A=1\nB=two\n", expected: ["A": "1", "B": "two"]),
        Case(name: "comments and blank lines", text: "# c\n\n  # indented\nA=1\n", expected: ["A": "1"]),
        Case(name: "export prefix", text: "export A=1\nexport  B=2", expected: ["A": "1", "B": "2"]),
        Case(name: "empty value", text: "A=\nB=", expected: ["A": "", "B": ""]),
        Case(name: "spaces around =", text: "A = spaced  \n", expected: ["A": "spaced"]),
        Case(name: "yaml style colon", text: "A: colon", expected: ["A": "colon"]),
        Case(name: "inline comment needs a space", text: "A=VAL # comment\nB=VAL# not", expected: ["A": "VAL", "B": "VAL# not"]),
        Case(name: "double quoted keeps #", text: "A=\"VAL # not a comment\"", expected: ["A": "VAL # not a comment"]),
        Case(name: "comment after closing quote", text: "A=\"VAL\" # comment", expected: ["A": "VAL"]),
        Case(name: "single quotes are literal", text: "O=x\nA='$O'\nB='${O}'\nC='some\\tvalue'",
             expected: ["O": "x", "A": "$O", "B": "${O}", "C": "some\\tvalue"]),
        Case(name: "escaped single quote", text: "A='Let\\'s go!'", expected: ["A": "Let's go!"]),
        Case(name: "escaped double quotes", text: "A=\"{\\\"hello\\\": \\\"json\\\"}\"", expected: ["A": "{\"hello\": \"json\"}"]),
        Case(name: "double quote escapes", text: "A=\"a\\tb\\nc\\\\d\"", expected: ["A": "a\tb\nc\\d"]),
        Case(name: "unquoted backslash literal", text: "A=some\\tvalue", expected: ["A": "some\\tvalue"]),
        Case(name: "multi-line double quoted", text: "A=\"line1\nline2\"\nB=after", expected: ["A": "line1\nline2", "B": "after"]),
        Case(name: "multi-line single quoted", text: "A='l1\nl2'", expected: ["A": "l1\nl2"]),
        Case(name: "interpolates earlier vars", text: "A=one\nB=${A}-two\nC=\"$B!\"", expected: ["A": "one", "B": "one-two", "C": "one-two!"]),
        Case(name: "defaults inside .env", text: "B=${NOPE:-dflt}", expected: ["B": "dflt"]),
        Case(name: "escaped dollar in double quotes", text: "A=\"\\$HOME\"", expected: ["A": "$HOME"]),
        Case(name: "bare key inherits from lookup", text: "FROM_ENV\nNOT_SET\n", expected: ["FROM_ENV": "outer"]),
        Case(name: "process environment wins in interpolation", text: "FROM_ENV=inner\nX=$FROM_ENV", expected: ["FROM_ENV": "inner", "X": "outer"]),
        Case(name: "dots and dashes in keys", text: "a.b-c=1", expected: ["a.b-c": "1"]),
        Case(name: "CRLF line endings", text: "A=1\r\nB=2\r\n", expected: ["A": "1", "B": "2"]),
        Case(name: "later definition wins", text: "A=1\nA=2", expected: ["A": "2"]),
    ]

    @Test(arguments: cases)
    func parses(_ c: Case) throws {
        let entries = try DotEnv.parse(c.text, file: ".env") { $0 == "FROM_ENV" ? "outer" : nil }
        #expect(DotEnv.dictionary(entries) == c.expected)
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: String
        var testDescription: String { name }
    }

    static let errors: [ErrorCase] = [
        ErrorCase(name: "unterminated quote", text: "A=1\nB=\"open\nC=3", expected: ".env:2:3: unterminated quoted value"),
        ErrorCase(name: "bad key character", text: "A B=1", expected: ".env:1:3: unexpected character \"B\" after variable name \"A\""),
        ErrorCase(name: "missing key", text: "=1", expected: ".env:1:1: missing variable name"),
        ErrorCase(name: "required variable", text: "A=${X:?needed}", expected: ".env:1:3: A: required variable \"X\" is missing a value: needed"),
        ErrorCase(name: "text after closing quote", text: "A=\"x\" y", expected: ".env:1:7: unexpected text after the closing quote of A"),
    ]

    @Test(arguments: errors)
    func rejects(_ c: ErrorCase) {
        #expect {
            _ = try DotEnv.parse(c.text, file: ".env")
        } throws: { error in
            (error as? DiagnosticsError)?.description == c.expected
        }
    }

    @Test func rawFormatKeepsQuotesAndDollars() {
        let entries = DotEnv.parseRaw("# c\nA=\"quoted\" $X\nB='x'\n\n")
        #expect(DotEnv.dictionary(entries) == ["A": "\"quoted\" $X", "B": "'x'"])
        #expect(entries.map(\.line) == [2, 3])
    }

    @Test func withoutInterpolationKeepsDollars() throws {
        let entries = try DotEnv.parse("A=$B\nC=\"\\$D\"", file: ".env", interpolate: false)
        #expect(DotEnv.dictionary(entries) == ["A": "$B", "C": "$D"])
    }
}
