/// Writes ustar archives (with PAX headers for long names) for `save`.
struct TarWriter {
    let write: (UnsafeRawBufferPointer) throws -> Void

    func directory(_ name: String, mtime: Int64 = 0) throws {
        try header(name.hasSuffix("/") ? name : name + "/", type: UInt8(ascii: "5"), size: 0, mode: 0o755, mtime: mtime)
    }

    /// A regular file whose content `body` streams with `write` (exactly `size` bytes).
    func file(_ name: String, size: Int64, mtime: Int64 = 0, mode: UInt32 = 0o644,
              _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try header(name, type: UInt8(ascii: "0"), size: size, mode: mode, mtime: mtime)
        var written: Int64 = 0
        try body { chunk in
            written += Int64(chunk.count)
            try write(chunk)
        }
        guard written == size else { throw CorruptStream(description: "\(name): wrote \(written) of \(size) bytes") }
        try pad(size)
    }

    func file(_ name: String, _ bytes: [UInt8], mtime: Int64 = 0) throws {
        try file(name, size: Int64(bytes.count), mtime: mtime) { w in try bytes.withUnsafeBytes { try w($0) } }
    }

    func symlink(_ name: String, target: String) throws {
        try header(name, type: UInt8(ascii: "2"), size: 0, mode: 0o777, mtime: 0, link: target)
    }

    /// Two zero blocks.
    func finish() throws {
        let zeros = [UInt8](repeating: 0, count: 1024)
        try zeros.withUnsafeBytes { try write($0) }
    }

    private func pad(_ size: Int64) throws {
        let n = Int((512 - size % 512) % 512)
        if n > 0 {
            let zeros = [UInt8](repeating: 0, count: n)
            try zeros.withUnsafeBytes { try write($0) }
        }
    }

    private func header(_ name: String, type: UInt8, size: Int64, mode: UInt32, mtime: Int64, link: String = "") throws {
        if name.utf8.count > 100 || link.utf8.count > 100 {
            var records = ""
            for (k, v) in [("path", name), ("linkpath", link)] where !v.isEmpty {
                let body = " \(k)=\(v)\n"
                var length = body.utf8.count + 1
                while String(length).utf8.count + body.utf8.count != length { length = String(length).utf8.count + body.utf8.count }
                records += "\(length)\(body)"
            }
            let bytes = Array(records.utf8)
            try rawHeader("PaxHeaders/x", type: UInt8(ascii: "x"), size: Int64(bytes.count), mode: 0o644, mtime: mtime, link: "")
            try bytes.withUnsafeBytes { try write($0) }
            try pad(Int64(bytes.count))
        }
        try rawHeader(String(decoding: name.utf8.prefix(100), as: UTF8.self), type: type, size: size, mode: mode,
                      mtime: mtime, link: String(decoding: link.utf8.prefix(100), as: UTF8.self))
    }

    private func rawHeader(_ name: String, type: UInt8, size: Int64, mode: UInt32, mtime: Int64, link: String) throws {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int, _ width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[at + i] = b }
        }
        func octal(_ v: Int64, _ at: Int, _ width: Int) {
            let s = String(v, radix: 8)
            if s.count < width {
                put(String(repeating: "0", count: width - 1 - s.count) + s, at, width - 1)
            } else {
                // base-256 for values that do not fit (sizes ≥ 8 GiB).
                h[at] = 0x80
                var x = v
                for i in stride(from: at + width - 1, to: at, by: -1) {
                    h[i] = UInt8(x & 0xff)
                    x >>= 8
                }
            }
        }
        put(name, 0, 100)
        octal(Int64(mode), 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(mtime, 136, 12)
        h[156] = type
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        put("root", 265, 32)
        put("root", 297, 32)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        let sum = h.reduce(0) { $0 + Int64($1) }
        let s = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - s.count) + s, 148, 6)
        h[154] = 0
        h[155] = UInt8(ascii: " ")
        try h.withUnsafeBytes { try write($0) }
    }
}
