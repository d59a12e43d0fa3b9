import Testing
@testable import BerthCLI

@Suite struct LogPrefixerTests {
    @Test func padsToTheWidestNameWithoutColor() {
        var p = LogPrefixer(names: ["hello-web-1", "hello-db-1"], options: .init(color: false))
        #expect(p.format(container: "hello-db-1", service: "db", line: "ready") == "hello-db-1   | ready")
        #expect(p.format(container: "hello-web-1", service: "web", line: "GET /") == "hello-web-1  | GET /")
    }

    @Test func widthGrowsForLaterContainers() {
        var p = LogPrefixer(names: ["a-1"], options: .init(color: false))
        _ = p.format(container: "a-web-10", service: "web", line: "x")
        #expect(p.format(container: "a-1", service: "a", line: "y") == "a-1       | y")
    }

    @Test func colorsAreStablePerService() {
        var p = LogPrefixer(names: ["p-web-1", "p-web-2", "p-db-1"])
        p.assignColors(services: ["db", "web"])
        let db = p.format(container: "p-db-1", service: "db", line: "x")
        let web1 = p.format(container: "p-web-1", service: "web", line: "x")
        let web2 = p.format(container: "p-web-2", service: "web", line: "x")
        #expect(db.hasPrefix("\u{1B}[36m"))
        #expect(web1.hasPrefix("\u{1B}[33m"))
        #expect(web2.hasPrefix("\u{1B}[33m"))
    }

    @Test func headIsTheLinesPrefixAndWidenAlignsABatch() {
        var p = LogPrefixer(names: [], options: .init(color: false))
        p.widen(to: ["p-db-1", "p-web-10"])
        #expect(p.head(container: "p-db-1", service: "db") == "p-db-1    | ")
        #expect(p.format(container: "p-db-1", service: "db", line: "x") == p.head(container: "p-db-1", service: "db") + "x")
        var bare = LogPrefixer(names: ["p-web-1"], options: .init(color: true, prefix: false))
        #expect(bare.head(container: "p-web-1", service: "web") == "")
    }

    @Test func timestampsAndNoPrefix() {
        var p = LogPrefixer(names: ["p-web-1"], options: .init(color: false, timestamps: true, prefix: false))
        #expect(p.format(container: "p-web-1", service: "web", line: "hi", timestamp: "2026-11-24T20:00:00.000000000Z")
            == "2026-11-24T20:00:00.000000000Z hi")
    }
}

@Suite struct ProgressBoardTests {
    @Test func plainLinesAndBlock() {
        var board = ProgressBoard()
        board.update("Network", "hello_default", .done("Created"), seconds: 0.04)
        board.update("Container", "hello-web-1", .working("Starting"))
        #expect(ProgressBoard.plainLine(board.rows[1]) == " Container hello-web-1  Starting")
        #expect(board.renderBlock(color: false) == [
            "[+] Running 1/2",
            " ✔ Network hello_default  Created  0.0s",
            " ⠿ Container hello-web-1  Starting",
        ])
        board.update("Container", "hello-web-1", .done("Started"), seconds: 1.26)
        #expect(board.rows.count == 2)
        #expect(board.renderBlock(color: false)[2] == " ✔ Container hello-web-1  Started  1.3s")
        #expect(board.finishedCount == 2)
    }
}

/// `--ansi` / `--progress`: the global output switches Compose has (the
/// pure parts: tests never change the process-wide setting, other suites
/// run beside them).
@Suite struct OutputModeTests {
    @Test func ansiDecidesColorOverTheCommandsWish() throws {
        #expect(OutputMode.color(true, ansi: .never) == false)
        #expect(OutputMode.color(false, ansi: .always) == true)
        #expect(OutputMode.color(true, ansi: .auto) == true)
        #expect(OutputMode.color(false, ansi: .auto) == false)
        let s = try OutputMode.parse(ansi: "never", progress: "quiet")
        #expect(s.ansi == .never && s.progress == .quiet)
        #expect(try OutputMode.parse(ansi: nil, progress: nil).progress == .auto)
    }

    @Test(arguments: [("ansi", "sometimes"), ("progress", "fancy")])
    func unknownValuesAreUsageErrors(_ flag: String, _ value: String) {
        #expect(throws: (any Error).self) {
            try OutputMode.parse(ansi: flag == "ansi" ? value : nil, progress: flag == "progress" ? value : nil)
        }
    }
}
