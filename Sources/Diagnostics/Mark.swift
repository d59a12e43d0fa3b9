// Diagnostics owns the vocabulary every module uses to describe a problem:
// where it is (Mark), what it is (Diagnostic) and which system call failed
// (SystemError). It never renders for a terminal and never does I/O;
// BerthCLI renders.

/// A position in a user's input file. Lines and columns are 1-based.
public struct Mark: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A mark for values that did not come from a file (flags, environment).
    public static func synthetic(_ origin: String) -> Mark {
        Mark(file: origin, line: 0, column: 0)
    }

    public var isSynthetic: Bool { line == 0 }

    public var description: String {
        isSynthetic ? file : "\(file):\(line):\(column)"
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}
