import ArgumentParser
import Diagnostics
import ImageStore
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Image commands: top-level Docker forms (`images`, `load`, `rmi`, …) and
/// the `image` group (`image ls`, `image rm`, …).
enum ImageCommands {
    static var all: [ParsableCommand.Type] {
        [ImagesCommand.self, ImportCommand.self, LoadCommand.self, SaveCommand.self, TagCommand.self,
         RmiCommand.self, ImageGroupCommand.self, SystemGroupCommand.self]
    }
}

/// `berth image <sub>`.
struct ImageGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [ImageLs.self, ImageRm.self, ImageInspectCommand.self, ImagePruneCommand.self, ImageLoad.self,
                      ImageSave.self, ImageImport.self, ImageTag.self])
}

/// `berth system <sub>` (image-store parts: `df`).
struct SystemGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage berth.", subcommands: [SystemDfCommand.self])
}

struct ImageLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
    @OptionGroup var command: ImagesCommand
    func run() throws { try command.run() }
}

struct ImageRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images.", aliases: ["remove"])
    @OptionGroup var command: RmiCommand
    func run() throws { try command.run() }
}

struct ImageLoad: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive or STDIN.")
    @OptionGroup var command: LoadCommand
    func run() throws { try command.run() }
}

struct ImageSave: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save one or more images to a tar archive.")
    @OptionGroup var command: SaveCommand
    func run() throws { try command.run() }
}

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import a root filesystem tarball as an image.")
    @OptionGroup var command: ImportCommand
    func run() throws { try command.run() }
}

struct ImageTag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")
    @OptionGroup var command: TagCommand
    func run() throws { try command.run() }
}

/// Runs a store operation, turning store and format errors into user errors.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ImageStoreError {
        throw UserError(e.description)
    } catch let e as OCIError {
        throw UserError(e.description)
    }
}

/// Docker's human sizes: decimal units, three significant digits (`4.26MB`).
func humanSize(_ bytes: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"]
    var v = Double(bytes)
    var i = 0
    while v >= 1000 && i < units.count - 1 {
        v /= 1000
        i += 1
    }
    return significant(v, 3) + units[i]
}

/// `%.Ng` without Foundation.
func significant(_ v: Double, _ digits: Int) -> String {
    if v == 0 { return "0" }
    var decimals = digits - 1
    var x = v
    while x >= 10 && decimals > 0 { x /= 10; decimals -= 1 }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (v * scale).rounded() / scale
    var s = decimals == 0 ? String(Int64(rounded.rounded())) : String(rounded)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}

/// Seconds since the epoch of an RFC 3339 time, or nil.
func parseRFC3339(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    func num(_ from: Int, _ len: Int) -> Int32? {
        guard from + len <= b.count else { return nil }
        var v: Int32 = 0
        for c in b[from..<from + len] {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int32(c - 48)
        }
        return v
    }
    guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
          let s = num(17, 2) else { return nil }
    var t = tm()
    t.tm_year = y - 1900
    t.tm_mon = mo - 1
    t.tm_mday = d
    t.tm_hour = h
    t.tm_min = mi
    t.tm_sec = s
    var epoch = Int64(timegm(&t))
    // Offset: skip fraction, then Z or ±hh:mm.
    var i = 19
    if i < b.count && b[i] == UInt8(ascii: ".") {
        i += 1
        while i < b.count && b[i] >= 48 && b[i] <= 57 { i += 1 }
    }
    if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")), let oh = num(i + 1, 2), let om = num(i + 4, 2) {
        let offset = Int64(oh) * 3600 + Int64(om) * 60
        epoch += b[i] == UInt8(ascii: "+") ? -offset : offset
    }
    return epoch
}

/// Docker's "2 weeks ago".
func humanSince(_ text: String?) -> String {
    guard let text, let then = parseRFC3339(text) else { return "N/A" }
    let seconds = Int64(time(nil)) - then
    func plural(_ n: Int64, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }
    let d: String
    if seconds < 1 { d = "Less than a second" }
    else if seconds == 1 { d = "1 second" }
    else if seconds < 60 { d = plural(seconds, "second") }
    else if seconds / 60 == 1 { d = "About a minute" }
    else if seconds < 3600 { d = plural(seconds / 60, "minute") }
    else if seconds / 3600 == 1 { d = "About an hour" }
    else if seconds < 48 * 3600 { d = plural(seconds / 3600, "hour") }
    else if seconds < 7 * 24 * 3600 * 2 { d = plural(seconds / (24 * 3600), "day") }
    else if seconds < 30 * 24 * 3600 * 3 { d = plural(seconds / (7 * 24 * 3600), "week") }
    else if seconds < 365 * 24 * 3600 * 2 { d = plural(seconds / (30 * 24 * 3600), "month") }
    else { d = plural(seconds / (365 * 24 * 3600), "year") }
    return d + " ago"
}

/// Docker's table layout (tabwriter: min width 10, padding 3).
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map { $0.count }
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for r in [header] + rows {
        var line = ""
        for (i, c) in r.enumerated() {
            if i == r.count - 1 { line += c } else {
                line += c + String(repeating: " ", count: max(10, widths[i] + 3) - c.count)
            }
        }
        out += line + "\n"
    }
    return out
}

/// JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "<": out += "\\u003c"
        case ">": out += "\\u003e"
        case "&": out += "\\u0026"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// Opens FILE for reading, or returns stdin for "-".
func openInput(_ path: String) throws -> Int32 {
    if path == "-" { return 0 }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw SystemError.current("open", path) }
    return fd
}
