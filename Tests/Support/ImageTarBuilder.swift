import Foundation

/// Builds tar archives byte by byte for image tests, including the
/// malformed and malicious ones no well-behaved tar tool would write
/// (`../x`, absolute names, links pointing outside, bad whiteouts).
public struct ImageTarBuilder: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public enum Format: Sendable { case ustar, gnuLongName, pax }

    public mutating func file(_ name: String, _ content: String, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
                              mtime: Int = 1_700_000_000, format: Format = .ustar, xattrs: [String: String] = [:]) {
        let data = Array(content.utf8)
        header(name, type: "0", size: data.count, mode: mode, uid: uid, gid: gid, mtime: mtime, format: format, xattrs: xattrs)
        bytes += data
        pad(data.count)
    }

    public mutating func directory(_ name: String, mode: UInt32 = 0o755, mtime: Int = 1_700_000_000) {
        header(name, type: "5", size: 0, mode: mode, mtime: mtime)
    }

    public mutating func symlink(_ name: String, to target: String, format: Format = .ustar) {
        header(name, type: "2", size: 0, mode: 0o777, link: target, format: format)
    }

    public mutating func hardlink(_ name: String, to target: String) {
        header(name, type: "1", size: 0, mode: 0o644, link: target)
    }

    public mutating func fifo(_ name: String) { header(name, type: "6", size: 0, mode: 0o644) }

    public mutating func charDevice(_ name: String, major: Int, minor: Int) {
        header(name, type: "3", size: 0, mode: 0o666, major: major, minor: minor)
    }

    /// Two zero blocks.
    public mutating func finish() { bytes += [UInt8](repeating: 0, count: 1024) }

    public func finished() -> [UInt8] {
        var copy = self
        copy.finish()
        return copy.bytes
    }

    private mutating func pad(_ n: Int) {
        bytes += [UInt8](repeating: 0, count: (512 - n % 512) % 512)
    }

    private mutating func header(_ name: String, type: Character, size: Int, mode: UInt32, uid: Int = 0, gid: Int = 0,
                                 mtime: Int = 1_700_000_000, link: String = "", major: Int = 0, minor: Int = 0,
                                 format: Format = .ustar, xattrs: [String: String] = [:]) {
        var shortName = name
        var shortLink = link
        switch format {
        case .gnuLongName:
            if name.utf8.count > 99 {
                rawHeader("././@LongLink", type: "L", size: name.utf8.count + 1, mode: 0, uid: 0, gid: 0, mtime: 0, link: "", major: 0, minor: 0, gnu: true)
                bytes += Array(name.utf8) + [0]
                pad(name.utf8.count + 1)
                shortName = String(name.prefix(99))
            }
            if link.utf8.count > 99 {
                rawHeader("././@LongLink", type: "K", size: link.utf8.count + 1, mode: 0, uid: 0, gid: 0, mtime: 0, link: "", major: 0, minor: 0, gnu: true)
                bytes += Array(link.utf8) + [0]
                pad(link.utf8.count + 1)
                shortLink = String(link.prefix(99))
            }
        case .pax:
            var records: [(String, String)] = [("path", name)]
            if !link.isEmpty { records.append(("linkpath", link)) }
            for (k, v) in xattrs.sorted(by: { $0.key < $1.key }) { records.append(("SCHILY.xattr." + k, v)) }
            var body: [UInt8] = []
            for (k, v) in records {
                let rest = " \(k)=\(v)\n"
                var length = rest.utf8.count + 1
                while String(length).utf8.count + rest.utf8.count != length { length = String(length).utf8.count + rest.utf8.count }
                body += Array("\(length)\(rest)".utf8)
            }
            rawHeader("PaxHeaders/entry", type: "x", size: body.count, mode: 0o644, uid: 0, gid: 0, mtime: 0, link: "", major: 0, minor: 0, gnu: false)
            bytes += body
            pad(body.count)
            shortName = "pax-placeholder"
            shortLink = link.isEmpty ? "" : "pax-placeholder"
        case .ustar:
            break
        }
        rawHeader(shortName, type: type, size: size, mode: mode, uid: uid, gid: gid, mtime: mtime, link: shortLink,
                  major: major, minor: minor, gnu: format == .gnuLongName)
    }

    private mutating func rawHeader(_ name: String, type: Character, size: Int, mode: UInt32, uid: Int, gid: Int, mtime: Int,
                                    link: String, major: Int, minor: Int, gnu: Bool) {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[at + i] = b }
        }
        func octal(_ v: Int, _ at: Int, _ width: Int) {
            let s = String(v, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - s.count)) + s, at, width - 1)
        }
        put(name, 0, 100)
        octal(Int(mode), 100, 8)
        octal(uid, 108, 8)
        octal(gid, 116, 8)
        octal(size, 124, 12)
        octal(mtime, 136, 12)
        h[156] = type.asciiValue ?? 0x30
        put(link, 157, 100)
        if gnu {
            put("ustar ", 257, 6)
            put(" ", 263, 1)
        } else {
            put("ustar", 257, 6)
            put("00", 263, 2)
        }
        octal(major, 329, 8)
        octal(minor, 337, 8)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, 148, 7)
        h[155] = 0x20
        bytes += h
    }
}
