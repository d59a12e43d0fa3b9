import Testing
@testable import Compose

/// `PortSyntax.range` (split at `-` by hand) and `ScalarText.isCoreFloat`
/// (bytes read in place) on their edge cases.
@Suite struct PortRangeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let text: String
        let range: (Int, Int)?
        var testDescription: String { "\"\(text)\"" }
    }

    static let cases: [Case] = [
        Case(text: "80", range: (80, 80)), Case(text: "8000-8005", range: (8000, 8005)),
        Case(text: "1-65535", range: (1, 65535)), Case(text: "7-7", range: (7, 7)),
        Case(text: "", range: nil), Case(text: "0", range: nil), Case(text: "65536", range: nil),
        Case(text: "123456", range: nil), Case(text: "00080", range: (80, 80)), Case(text: "80a", range: nil),
        Case(text: "-5", range: nil), Case(text: "5-", range: nil), Case(text: "-", range: nil),
        Case(text: "1-2-3", range: nil), Case(text: "9-8", range: nil), Case(text: "8O", range: nil),
    ]

    @Test(arguments: cases) func range(_ c: Case) {
        let found = PortSyntax.range(Substring(c.text))
        #expect(found?.0 == c.range?.0 && found?.1 == c.range?.1)
    }

    @Test(arguments: [
        ("1.5", true), ("-1.5", true), ("+.5", true), ("1e3", true), ("1.0E-3", true), (".inf", true), ("-.Inf", true),
        (".NaN", true), ("12", true), ("1.", true), ("", false), (".", false), ("-", false), ("1e", false),
        ("1.5x", false), ("abc", false), ("1_000", false), (".infinity", false), ("0x1A", false),
    ])
    func coreFloat(_ text: String, _ isFloat: Bool) {
        #expect(ScalarText.isCoreFloat(text) == isFloat)
    }
}
