import CYAML
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Where a document's long block mapping under a top-level key (a compose
/// file's `services:`) can be cut so that its second half is parsed on
/// another thread: found from the text alone, then confirmed by the parse
/// (`SplitReader`).
///
///     services:            ← keyLine
///       a: …               ← firstEntry (indent 2)
///       …
///       m: …               ← split: a line with an entry at that indent
///       …
///     networks: …          ← end: the next line with anything at column 0
struct SplitPlan: Equatable {
    /// Smaller documents are read in one piece: the second thread costs
    /// more than it saves.
    static let minimumBytes = 32 << 10
    /// The fewest bytes worth handing to the other thread.
    static let minimumTail = 8 << 10

    /// The offset of the key's line (the key at column 0, nothing after its colon).
    var keyLine: Int
    /// The offset of the mapping's first key.
    var firstEntry: Int
    /// The offset of the line where the second half starts: a key at
    /// `indent` spaces.
    var split: Int
    /// The offset of the first line after `split` with anything but a
    /// space, a tab, a comment or a line break at column 0 (or the end).
    var end: Int
    /// The indentation of the mapping's keys.
    var indent: Int
    /// `keyLine`, `firstEntry` and `split` as libyaml's marks count them:
    /// in characters, not bytes.
    var keyLineIndex: Int
    var firstEntryIndex: Int
    var splitIndex: Int

    /// The cut for the largest such mapping, its halves about even; nil
    /// when the text has none with a second half of `minimumTail` bytes.
    init?(_ text: UnsafeBufferPointer<UInt8>, minimumTail: Int = SplitPlan.minimumTail) {
        let n = text.count
        // (libyaml counts marks after a byte order mark: no split then.)
        guard let base = text.baseAddress, n < 3 || text[0] != 0xEF || text[1] != 0xBB || text[2] != 0xBF
        else { return nil }
        func lineEnd(_ start: Int) -> Int {
            guard start < n, let found = memchr(base + start, 0x0A, n - start) else { return n }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        // Column-0 lines `key:` (nothing after the colon but spaces) and the
        // column-0 line that ends their block.
        var best: (key: Int, body: Int, end: Int)?
        var open: (key: Int, body: Int)?
        var start = 0
        while start < n {
            let stop = lineEnd(start)
            let first = text[start]
            let next = stop < n ? stop + 1 : n
            if first != 0x20, first != 0x09, first != 0x0A, first != 0x0D, first != 0x23 {
                if let o = open, best.map({ $0.end - $0.body < start - o.body }) ?? true {
                    best = (o.key, o.body, start)
                }
                open = Self.isBareKey(text, start, stop) ? (start, next) : nil
            }
            start = next
        }
        if let o = open, best.map({ $0.end - $0.body < n - o.body }) ?? true { best = (o.key, o.body, n) }
        guard let best, best.end - best.body >= minimumTail * 2 else { return nil }
        // The entries' indentation: the first line with content.
        var line = best.body
        var indent = 0
        var firstEntry = -1
        while line < best.end {
            var i = line
            while i < best.end, text[i] == 0x20 { i += 1 }
            if i < best.end, text[i] != 0x0A, text[i] != 0x0D, text[i] != 0x23 {
                guard i > line, Self.startsKey(text[i]) else { return nil }
                indent = i - line
                firstEntry = i
                break
            }
            line = lineEnd(line) + 1
        }
        guard firstEntry >= 0 else { return nil }
        // The first entry line past the middle.
        line = lineEnd(best.body + (best.end - best.body) / 2) + 1
        while line < best.end {
            if line + indent < best.end, Self.startsKey(text[line + indent]),
               (line..<line + indent).allSatisfy({ text[$0] == 0x20 }) {
                break
            }
            line = lineEnd(line) + 1
        }
        guard line < best.end, best.end - line >= minimumTail, text[line - 1] == 0x0A else { return nil }
        keyLine = best.key
        self.firstEntry = firstEntry
        split = line
        end = best.end
        self.indent = indent
        keyLineIndex = keyLine - Self.continuationBytes(text, 0..<keyLine)
        firstEntryIndex = keyLineIndex + (firstEntry - keyLine) - Self.continuationBytes(text, keyLine..<firstEntry)
        splitIndex = firstEntryIndex + (split - firstEntry) - Self.continuationBytes(text, firstEntry..<split)
    }

    /// The UTF-8 continuation bytes in `range`: bytes minus characters.
    static func continuationBytes(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var count = 0
        for i in range where text[i] & 0xC0 == 0x80 { count += 1 }
        return count
    }

    /// A plain key that cannot be more than a key: a letter, digit or `_`.
    private static func startsKey(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// `name:` with only spaces (and a CR) after the colon.
    private static func isBareKey(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ stop: Int) -> Bool {
        var i = start
        while i < stop, startsKey(text[i]) || text[i] == 0x2D || text[i] == 0x2E { i += 1 }
        guard i > start, i < stop, text[i] == 0x3A else { return false }
        i += 1
        while i < stop, text[i] == 0x20 { i += 1 }
        return i == stop || (i == stop - 1 && text[i] == 0x0D)
    }

    /// libyaml's line count of `range`: LF, CR LF, CR, NEL, LS and PS
    /// each end a line.
    static func lineBreaks(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var lines = 0
        var other = false
        for i in range {
            let b = text[i]
            if b == 0x0A { lines += 1 }
            if b == 0x0D || b == 0xC2 || b == 0xE2 { other = true }
        }
        guard other else { return lines }
        lines = 0
        var i = range.lowerBound
        while i < range.upperBound {
            let b = text[i]
            if b == 0x0A {
                lines += 1
            } else if b == 0x0D {
                lines += 1
                if i + 1 < range.upperBound, text[i + 1] == 0x0A { i += 1 }
            } else if b == 0xC2, i + 1 < range.upperBound, text[i + 1] == 0x85 {
                lines += 1
                i += 1
            } else if b == 0xE2, i + 2 < range.upperBound, text[i + 1] == 0x80,
                      text[i + 2] == 0xA8 || text[i + 2] == 0xA9 {
                lines += 1
                i += 2
            }
            i += 1
        }
        return lines
    }
}

/// Reads a document cut by a `SplitPlan` on two threads: this one parses
/// the text without the second half (`[0, split)` followed by `[end, …)`),
/// another parses the second half alone as a document of its own (a block
/// mapping at `indent`) and composes it with the anchors defined before the
/// key; the halves are joined where this thread's parse closes the mapping.
///
/// The result is the tree one parse of the whole text gives, or nil
/// (the caller then parses the whole text): nil whenever the cut is not
/// confirmed or the halves are not exactly the whole. Confirmed means this
/// thread's parse opened a block mapping at `firstEntry` right after the key
/// and closed it at `split` (so `split` starts a line in block context,
/// outside any scalar or flow collection, with that mapping's entries next:
/// a line indented less than any of its values ends them in both texts),
/// the second half is one document with a block mapping that lasts to its
/// end (so none of its lines left the mapping), no parse or composition
/// problem on either side, no anchor defined between the key and `split`
/// (the other thread could not see it), no merge key at the mapping's level
/// and no key in both halves. Lines of the second half's marks and of
/// everything after it are shifted by the lines left out.
struct SplitReader {
    let file: String
    let buffer: UnsafeBufferPointer<UInt8>
    let plan: SplitPlan
    let limits: YAMLLimits

    /// The document's root and whether any node had an explicit tag, or nil.
    func read() -> (Node, Bool)? {
        guard let base = buffer.baseAddress else { return nil }
        var head = [UInt8]()
        head.reserveCapacity(plan.split + buffer.count - plan.end)
        head.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<plan.split]))
        head.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[plan.end...]))
        return head.withUnsafeBufferPointer { headText -> (Node, Bool)? in
            guard let parser = Parser(headText) else { return nil }
            var composer = Composer(file: file, limits: limits)
            var event = yaml_event_t()
            var documents = 0
            // Up to the key: what the other thread's composer starts from.
            var keyed = false
            while !keyed {
                guard parser.next(&event) else { return nil }
                defer { yaml_event_delete(&event) }
                let index = Int(event.start_mark.index)
                if index == plan.keyLineIndex, event.type == YAML_SCALAR_EVENT {
                    guard composer.depth == 1, composer.awaitingKey else { return nil }
                    keyed = true
                }
                guard feed(event, mark(event.start_mark, shift: 0), &composer, &documents) else { return nil }
            }
            let seed = composer.continuation()
            let definitions = composer.definitions
            let tailText = TailText(base: base + plan.split, count: plan.end - plan.split,
                                    whole: buffer, split: plan.split)
            let (reachedSplit, tail) = Concurrently.run({ () -> Bool in
                // The mapping opens at its first key, in block style…
                guard parser.next(&event) else { return false }
                let opened = event.type == YAML_MAPPING_START_EVENT
                    && event.data.mapping_start.style == YAML_BLOCK_MAPPING_STYLE
                    && Int(event.start_mark.index) == plan.firstEntryIndex
                let fed = opened && feed(event, mark(event.start_mark, shift: 0), &composer, &documents)
                yaml_event_delete(&event)
                guard fed else { return false }
                // …and closes at `split`: that event is kept for after the join.
                // The collections inside it close there first.
                while true {
                    guard parser.next(&event) else { return false }
                    let index = Int(event.start_mark.index)
                    if index >= plan.splitIndex {
                        let closing = event.type == YAML_MAPPING_END_EVENT || event.type == YAML_SEQUENCE_END_EVENT
                        guard index == plan.splitIndex, closing else {
                            yaml_event_delete(&event)
                            return false
                        }
                        if event.type == YAML_MAPPING_END_EVENT, composer.depth == 2 { return true }
                    }
                    defer { yaml_event_delete(&event) }
                    guard feed(event, mark(event.start_mark, shift: 0), &composer, &documents) else { return false }
                }
            }, beside: { [file, limits, indent = plan.indent] in
                TailReader(file: file, text: tailText, indent: indent, limits: limits).read(seed)
            })
            guard reachedSplit else { return nil }
            defer { yaml_event_delete(&event) }
            guard let tail, Int(event.start_mark.line) == tail.headLines,
                  composer.join(tail.composer, definitionsAtContinuation: definitions)
            else { return nil }
            // The rest, lines shifted by the second half's.
            guard feed(event, mark(event.start_mark, shift: tail.lines), &composer, &documents) else { return nil }
            while true {
                guard parser.next(&event) else { return nil }
                defer { yaml_event_delete(&event) }
                let shift = Int(event.start_mark.index) >= plan.splitIndex ? tail.lines : 0
                do {
                    switch try composer.feed(event, at: mark(event.start_mark, shift: shift)) {
                    case .node:
                        continue
                    case .documentStart:
                        documents += 1
                        if documents > 1 { return nil }
                    case .streamEnd:
                        guard composer.diagnostics.isEmpty, let root = composer.root else { return nil }
                        return (root, composer.sawTag)
                    }
                } catch {
                    return nil
                }
            }
        }
    }

    private func mark(_ m: yaml_mark_t, shift: Int) -> Mark {
        Mark(file: file, line: Int(m.line) + 1 + shift, column: Int(m.column) + 1)
    }

    /// Feeds a node event; false on a problem, a second document or the stream's end.
    private func feed(_ event: yaml_event_t, _ mark: Mark, _ composer: inout Composer, _ documents: inout Int) -> Bool {
        do {
            switch try composer.feed(event, at: mark) {
            case .node: return true
            case .documentStart:
                documents += 1
                return documents == 1
            case .streamEnd: return false
            }
        } catch {
            return false
        }
    }
}

/// The second half's text, handed to the other thread (the caller's
/// buffer outlives `Concurrently.run`).
private struct TailText: @unchecked Sendable {
    var base: UnsafePointer<UInt8>
    var count: Int
    /// The whole text and where the half starts, for counting the lines before it.
    var whole: UnsafeBufferPointer<UInt8>
    var split: Int
}

/// What the other thread made of the second half.
private struct Tail: Sendable {
    var composer: Composer
    /// Lines before the half (its marks were shifted by them) and within it.
    var headLines: Int
    var lines: Int
}

/// Parses and composes the second half on its own.
private struct TailReader {
    let file: String
    let text: TailText
    let indent: Int
    let limits: YAMLLimits

    func read(_ seed: Composer.Continuation) -> Tail? {
        let headLines = SplitPlan.lineBreaks(text.whole, 0..<text.split)
        let tailText = UnsafeBufferPointer(start: text.base, count: text.count)
        let characters = text.count - SplitPlan.continuationBytes(tailText, 0..<text.count)
        guard let parser = Parser(tailText) else { return nil }
        var composer = Composer(file: file, limits: limits, continuing: seed)
        var event = yaml_event_t()
        var documents = 0
        while true {
            guard parser.next(&event) else { return nil }
            defer { yaml_event_delete(&event) }
            // The root: a block mapping at the first line's indent, without
            // anchor or tag, closed only by the end of the text.
            switch event.type {
            case YAML_MAPPING_START_EVENT where composer.depth == 0:
                let m = event.data.mapping_start
                guard m.style == YAML_BLOCK_MAPPING_STYLE, m.anchor == nil, m.tag == nil,
                      Int(event.start_mark.index) == indent, event.start_mark.line == 0 else { return nil }
            case YAML_MAPPING_END_EVENT where composer.depth == 1:
                guard Int(event.start_mark.index) == characters else { return nil }
            case YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_ALIAS_EVENT:
                if composer.depth == 0 { return nil }
            default:
                break
            }
            let mark = Mark(file: file, line: Int(event.start_mark.line) + 1 + headLines,
                            column: Int(event.start_mark.column) + 1)
            do {
                switch try composer.feed(event, at: mark) {
                case .node:
                    continue
                case .documentStart:
                    documents += 1
                    if documents > 1 { return nil }
                case .streamEnd:
                    guard composer.root != nil else { return nil }
                    return Tail(composer: composer, headLines: headLines, lines: Int(event.start_mark.line))
                }
            } catch {
                return nil
            }
        }
    }
}

/// One libyaml parser over a borrowed UTF-8 buffer.
private final class Parser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>

    init?(_ text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress, !text.isEmpty else { return nil }
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) != 0 else {
            parser.deallocate()
            return nil
        }
        yaml_parser_set_input_string(parser, base, text.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    /// The next event; false on a parse error (nothing to delete then).
    func next(_ event: inout yaml_event_t) -> Bool {
        yaml_parser_parse(parser, &event) != 0
    }
}
