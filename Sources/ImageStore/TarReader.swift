import OCI

/// One archive member's metadata (ustar + GNU long names + PAX, merged).
public struct TarEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
    }

    public var name: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: Int64
    public var mtimeNanoseconds: Int64 = 0
    public var linkName: String
    public var devMajor: UInt32
    public var devMinor: UInt32
    /// Extended attributes from PAX `SCHILY.xattr.*` records.
    public var xattrs: [String: [UInt8]] = [:]

    public init(name: String, kind: Kind, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, size: Int64 = 0,
                mtime: Int64 = 0, linkName: String = "", devMajor: UInt32 = 0, devMinor: UInt32 = 0) {
        self.name = name
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.linkName = linkName
        self.devMajor = devMajor
        self.devMinor = devMinor
    }
}

/// A malformed archive: names the byte offset of the bad header.
public struct TarFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public var offset: Int64
    public var reason: String
    public var description: String { "corrupt tar archive at byte \(offset): \(reason)" }
}

/// A streaming tar reader: ustar, GNU long names/links (`L`/`K`) and PAX
/// (`x`, `g`) headers. Call `next()` for each member, then read or skip its
/// data with `readData`/`skipData` (unread data is skipped automatically).
final class TarReader {
    let input: BufferedInput
    private var pendingData: Int64 = 0
    private var pendingPadding: Int64 = 0
    private var globalPAX: [String: String] = [:]
    private var ended = false

    init(_ input: BufferedInput) { self.input = input }

    /// The next member, or nil at the end of the archive.
    func next() throws -> TarEntry? {
        try skipData()
        if ended { return nil }
        var longName: String?
        var longLink: String?
        var pax: [String: String] = [:]
        while true {
            let headerOffset = input.offset
            guard let block = try input.readExact(512) else {
                ended = true
                return nil  // EOF at a block boundary: accepted, as GNU tar does.
            }
            if block.allSatisfy({ $0 == 0 }) {
                ended = true
                return nil
            }
            func fail(_ why: String) -> TarFormatError { TarFormatError(offset: headerOffset, reason: why) }
            try verifyChecksum(block, fail)
            let type = block[156]
            guard let size = parseNumber(block[124..<136]), size >= 0 else { throw fail("bad size field") }
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size <= 1 << 20 else { throw fail("extended header of \(size) bytes is too large") }
                guard let data = try input.readExact(Int(size)) else { throw fail("truncated extended header") }
                try input.skip(padding(size))
                switch type {
                case UInt8(ascii: "L"): longName = cString(data[...])
                case UInt8(ascii: "K"): longLink = cString(data[...])
                case UInt8(ascii: "x"): pax.merge(try parsePAX(data, fail)) { $1 }
                default: globalPAX.merge(try parsePAX(data, fail)) { $1 }
                }
                continue
            default:
                break
            }
            var entry = try parseHeader(block, size: size, fail)
            if let longName { entry.name = longName }
            if let longLink { entry.linkName = longLink }
            try applyPAX(globalPAX.merging(pax) { $1 }, to: &entry, fail)
            // Only regular files carry data: like Go's archive/tar, the size
            // of header-only types (links, dirs, devices, FIFOs) is ignored.
            if entry.kind != .regular { entry.size = 0 }
            pendingData = entry.size
            pendingPadding = padding(entry.size)
            return entry
        }
    }

    /// Streams the current member's data to `body`.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let n = pendingData
        pendingData = 0
        try input.consume(n, body)
        try input.skip(pendingPadding)
        pendingPadding = 0
    }

    func skipData() throws {
        if pendingData > 0 || pendingPadding > 0 {
            try input.skip(pendingData + pendingPadding)
            pendingData = 0
            pendingPadding = 0
        }
    }

    private func padding(_ size: Int64) -> Int64 { (512 - size % 512) % 512 }

    private func verifyChecksum(_ block: [UInt8], _ fail: (String) -> TarFormatError) throws {
        guard let stored = parseNumber(block[148..<156]) else { throw fail("bad checksum field (not a tar archive?)") }
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, b) in block.enumerated() {
            let v = (148..<156).contains(i) ? UInt8(ascii: " ") : b
            unsigned += Int64(v)
            signed += Int64(Int8(bitPattern: v))
        }
        if stored != unsigned && stored != signed { throw fail("header checksum mismatch (not a tar archive?)") }
    }

    private func parseHeader(_ b: [UInt8], size: Int64, _ fail: (String) -> TarFormatError) throws -> TarEntry {
        var name = cString(b[0..<100])
        let isUstar = b[257..<263].elementsEqual("ustar\0".utf8)
        if isUstar {
            let prefix = cString(b[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        let kind: TarEntry.Kind
        switch b[156] {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = name.hasSuffix("/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardLink
        case UInt8(ascii: "2"): kind = .symbolicLink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"): throw fail("GNU sparse files are not supported (\"\(name)\")")
        default: throw fail("unsupported member type '\(String(UnicodeScalar(b[156])))' for \"\(name)\"")
        }
        guard let mode = parseNumber(b[100..<108]), let uid = parseNumber(b[108..<116]),
              let gid = parseNumber(b[116..<124]), let mtime = parseNumber(b[136..<148]) else {
            throw fail("bad numeric field in header of \"\(name)\"")
        }
        let major = parseNumber(b[329..<337]) ?? 0
        let minor = parseNumber(b[337..<345]) ?? 0
        guard uid >= 0, uid <= Int64(UInt32.max), gid >= 0, gid <= Int64(UInt32.max) else {
            throw fail("owner out of range for \"\(name)\"")
        }
        return TarEntry(name: name, kind: kind, mode: UInt32(truncatingIfNeeded: mode & 0o7777),
                        uid: UInt32(uid), gid: UInt32(gid), size: kind == .directory ? 0 : size, mtime: mtime,
                        linkName: cString(b[157..<257]),
                        devMajor: UInt32(truncatingIfNeeded: major), devMinor: UInt32(truncatingIfNeeded: minor))
    }

    private func applyPAX(_ pax: [String: String], to e: inout TarEntry, _ fail: (String) -> TarFormatError) throws {
        for (key, value) in pax {
            switch key {
            case "path": e.name = value
            case "linkpath": e.linkName = value
            case "size":
                guard let v = Int64(value), v >= 0 else { throw fail("bad PAX size \"\(value)\"") }
                if e.kind != .directory { e.size = v }
            case "uid":
                guard let v = UInt32(value) else { throw fail("bad PAX uid \"\(value)\"") }
                e.uid = v
            case "gid":
                guard let v = UInt32(value) else { throw fail("bad PAX gid \"\(value)\"") }
                e.gid = v
            case "mtime":
                let parts = value.split(separator: ".", maxSplits: 1)
                guard let s = parts.first.flatMap({ Int64($0) }) else { throw fail("bad PAX mtime \"\(value)\"") }
                e.mtime = s
                if parts.count == 2 {
                    let frac = String(parts[1].prefix(9))
                    let padded = frac + String(repeating: "0", count: 9 - frac.count)
                    e.mtimeNanoseconds = Int64(padded) ?? 0
                }
            default:
                if key.hasPrefix("SCHILY.xattr.") {
                    e.xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = Array(value.utf8)
                } else if key.hasPrefix("GNU.sparse.") {
                    throw fail("GNU sparse files are not supported (\"\(e.name)\")")
                }
            }
        }
    }

    /// `"%d %s=%s\n"` records. Values are raw bytes; xattr values may hold
    /// any byte, so they are kept through a lossless Latin-1 round trip
    /// only when valid UTF-8 (the common case) — others are rejected.
    private func parsePAX(_ data: [UInt8], _ fail: (String) -> TarFormatError) throws -> [String: String] {
        var result: [String: String] = [:]
        var i = 0
        while i < data.count {
            var j = i
            while j < data.count && data[j] != UInt8(ascii: " ") { j += 1 }
            guard j < data.count, let length = Int(String(decoding: data[i..<j], as: UTF8.self)),
                  length > j - i, i + length <= data.count, data[i + length - 1] == UInt8(ascii: "\n") else {
                throw fail("malformed PAX record")
            }
            let record = data[(j + 1)..<(i + length - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { throw fail("malformed PAX record") }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            let value = String(decoding: record[(eq + 1)...], as: UTF8.self)
            result[key] = value
            i += length
        }
        return result
    }
}

/// A NUL-terminated string field.
func cString(_ bytes: ArraySlice<UInt8>) -> String {
    let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
    return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
}

/// Octal (space/NUL padded) or GNU base-256 numeric field.
func parseNumber(_ field: ArraySlice<UInt8>) -> Int64? {
    guard let first = field.first else { return nil }
    if first & 0x80 != 0 {
        // base-256: big-endian two's complement, top bit of the first byte is the marker.
        var v: Int64 = Int64(first & 0x7f)
        if first & 0x40 != 0 { v -= 0x80 }  // negative
        for b in field.dropFirst() {
            if v > Int64.max >> 8 { return nil }
            v = v << 8 | Int64(b)
        }
        return v
    }
    var v: Int64 = 0
    var seen = false
    for b in field {
        if b == 0 || b == UInt8(ascii: " ") {
            if seen { break } else { continue }
        }
        guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") else { return nil }
        if v > Int64.max >> 3 { return nil }
        v = v * 8 + Int64(b - UInt8(ascii: "0"))
        seen = true
    }
    return v
}
