@testable import Diagnostics
import Testing


/// `Mark` keeps its file name interned (`Mark.File`): marks still compare,
/// hash, sort and print by the name's text.
@Suite struct MarkTests {
    @Test func namesAreInternedOnce() {
        let a = Mark.File("/srv/app/compose.yaml")
        let b = Mark.File(String("/srv/app/") + "compose.yaml")
        #expect(a == b)
        #expect(a.object.toOpaque() == b.object.toOpaque())
        #expect(a != Mark.File("/srv/app/other.yaml"))
        #expect(a.text == "/srv/app/compose.yaml")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var a: Mark
        var b: Mark
        var equal: Bool
        var less: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "same file and place", a: Mark(file: "x.yaml", line: 2, column: 3),
             b: Mark(Mark.File("x.yaml"), line: 2, column: 3), equal: true, less: false),
        Case(name: "other file sorts by name", a: Mark(file: "a.yaml", line: 9, column: 9),
             b: Mark(file: "b.yaml", line: 1, column: 1), equal: false, less: true),
        Case(name: "same file, earlier line", a: Mark(file: "b.yaml", line: 1, column: 5),
             b: Mark(file: "b.yaml", line: 2, column: 1), equal: false, less: true),
        Case(name: "same line, later column", a: Mark(file: "b.yaml", line: 2, column: 7),
             b: Mark(file: "b.yaml", line: 2, column: 1), equal: false, less: false),
    ]

    @Test(arguments: cases)
    func marksCompareByNameLineAndColumn(_ c: Case) {
        #expect((c.a == c.b) == c.equal)
        #expect((c.a < c.b) == c.less)
        if c.equal { #expect(c.a.hashValue == c.b.hashValue) }
        #expect(Set([c.a, c.b]).count == (c.equal ? 1 : 2))
    }

    @Test func fileCanBeReadAndReplaced() {
        var mark = Mark(file: "a.yaml", line: 3, column: 4)
        #expect(mark.description == "a.yaml:3:4")
        mark.file = "b.yaml"
        #expect(mark == Mark(file: "b.yaml", line: 3, column: 4))
        #expect(Mark.synthetic("flag -p").description == "flag -p")
        #expect(Mark.generated == Mark.synthetic("<generated>"))
    }

    @Test func threadsInterningTheSameNameGetOneObject() async {
        let names = (0..<200).map { "file-\($0 % 7).yaml" }
        let found = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { names.map { Int(bitPattern: Mark.File($0).object.toOpaque()) } } }
            var all: [[Int]] = []
            for await one in group { all.append(one) }
            return all
        }
        for one in found { #expect(one == found[0]) }
        #expect(Set(found[0]).count == 7)
    }
}
