// Diagnostics owns the vocabulary every module uses to describe a problem:
// where it is (Mark), what it is (Diagnostic) and which system call failed
// (SystemError). It never renders for a terminal and never does I/O;
// BerthCLI renders.
import Synchronization

/// A position in a user's input file. Lines and columns are 1-based.
///
/// The file's name is held as an interned `File` (one object per distinct
/// name, kept for the life of the process and referenced without counting),
/// so a mark is plain data: creating, copying and dropping one (every tree
/// node has one, and the compose loader makes several trees of ~20k nodes)
/// never touches a reference count. With the name as a `String`, each of
/// those retained and released the one string object of the file's name,
/// from both threads of the loader at once.
public struct Mark: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The file's name as interned.
    public var name: File
    public var line: Int
    public var column: Int

    /// The file's name (or a synthetic mark's origin).
    public var file: String {
        get { name.text }
        set { name = File(newValue) }
    }

    public init(file: String, line: Int, column: Int) {
        self.init(File(file), line: line, column: column)
    }

    /// A mark in a file interned once for many marks (a parser's input).
    @inlinable public init(_ name: File, line: Int, column: Int) {
        self.name = name
        self.line = line
        self.column = column
    }

    /// A mark for values that did not come from a file (flags, environment).
    public static func synthetic(_ origin: String) -> Mark {
        Mark(file: origin, line: 0, column: 0)
    }

    /// `synthetic("<generated>")`, interned once: the mark of nodes built
    /// in code.
    public static let generated = Mark.synthetic("<generated>")

    public var isSynthetic: Bool { line == 0 }

    public var description: String {
        isSynthetic ? file : "\(file):\(line):\(column)"
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    /// An interned file name: `File("a.yaml")` is the same object every
    /// time in a process, so names compare and hash by identity. The
    /// objects are never freed (a process sees a handful of file names).
    public struct File: Hashable, Sendable {
        @usableFromInline let object: Unmanaged<Name>

        /// The interned object for `text`.
        public init(_ text: String) {
            object = File.table.withLock { table in
                if let found = table[text] { return found }
                let made = Unmanaged.passRetained(Name(text))
                table[text] = made
                return made
            }
        }

        /// The name as written.
        public var text: String { object.takeUnretainedValue().text }

        @inlinable public static func == (a: File, b: File) -> Bool {
            a.object.toOpaque() == b.object.toOpaque()
        }

        @inlinable public func hash(into hasher: inout Hasher) {
            hasher.combine(object.toOpaque())
        }

        private static let table = Mutex<[String: Unmanaged<Name>]>([:])
    }

    /// The storage of an interned name.
    public final class Name: Sendable {
        let text: String
        init(_ text: String) { self.text = text }
    }
}
