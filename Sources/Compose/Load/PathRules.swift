/// Lexical path arithmetic for the loader (no file system access): the
/// loader resolves relative paths against a file's own directory before
/// merging, and reports paths relative to the working directory.
public enum PathRules {
    /// Whether `path` starts at `/`.
    public static func isAbsolute(_ path: String) -> Bool { path.hasPrefix("/") }

    /// `a/./b/../c//d/` → `a/c/d`; keeps a leading `/`; `..` above `/` stays at `/`.
    public static func clean(_ path: String) -> String {
        if isCleanAbsoluteASCII(path) { return path }
        if path.isEmpty { return "." }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() }
                else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        // Joined by hand: `joined(separator:)` runs generic code that the
        // runtime first has to instantiate (~0.1 ms in a short-lived process).
        var body = ""
        for part in parts {
            if !body.isEmpty { body += "/" }
            body += part
        }
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// An ASCII absolute path that `clean` (and `Normalizer`'s) returns
    /// unchanged: no empty, `.` or `..` component and no trailing `/`
    /// (paths the loader has already resolved, the usual case), checked
    /// without splitting.
    static func isCleanAbsoluteASCII(_ path: String) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == slash else { return false }
        var length = 0      // of the current component
        var dots = 0        // how many of its bytes are dots
        var count = 1
        while let b = bytes.next() {
            count += 1
            if b >= 0x80 { return false }
            if b == slash {
                if length == 0 || (dots == length && length <= 2) { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if b == dot { dots += 1 }
            }
        }
        if count == 1 { return true }   // "/"
        return length > 0 && !(dots == length && length <= 2)
    }

    /// `base` joined with `path` unless `path` is absolute; cleaned.
    public static func join(_ base: String, _ path: String) -> String {
        isAbsolute(path) ? clean(path) : clean(base + "/" + path)
    }

    /// The directory part of `path` (`/` for a top-level entry, `.` when none).
    public static func directory(of path: String) -> String {
        let p = clean(path)
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    /// The last component of `path`.
    public static func base(of path: String) -> String {
        let p = clean(path)
        guard let slash = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: slash)...])
    }

    /// `~` and `~/x` → the home directory (other `~user` forms are left alone).
    public static func expandHome(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return join(home, String(path.dropFirst(2))) }
        return path
    }

    /// Resolves `path` against `base`, expanding `~` first.
    public static func resolve(_ path: String, against base: String, home: String) -> String {
        join(base, expandHome(path, home: home))
    }

    /// `path` relative to `directory` when it lies beneath it, else `path`.
    public static func display(_ path: String, relativeTo directory: String) -> String {
        let p = clean(path), d = clean(directory)
        if d == "/" { return p.hasPrefix("/") ? String(p.dropFirst()) : p }
        if p.hasPrefix(d + "/") { return String(p.dropFirst(d.count + 1)) }
        return p
    }
}
