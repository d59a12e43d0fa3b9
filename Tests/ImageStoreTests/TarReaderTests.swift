import BerthTestSupport
import CZlib
import CZstd
@testable import ImageStore
import OCI
import Testing

final class BytesSource: ByteSource {
    let bytes: [UInt8]
    var position = 0
    let chunk: Int
    init(_ bytes: [UInt8], chunk: Int = 777) {
        self.bytes = bytes
        self.chunk = chunk
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position, chunk)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress?.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        }
        position += n
        return n
    }
}

func readAll(_ bytes: [UInt8]) throws -> [(TarEntry, String)] {
    let reader = TarReader(BufferedInput(BytesSource(bytes), capacity: 1000))
    var out: [(TarEntry, String)] = []
    while let e = try reader.next() {
        var data: [UInt8] = []
        try reader.readData { data += $0 }
        out.append((e, String(decoding: data, as: UTF8.self)))
    }
    return out
}

/// gzip of `data` (one member) with zlib.
func gzip(_ data: [UInt8]) -> [UInt8] {
    var s = z_stream()
    _ = berth_deflate_init(&s, 6, 15 + 16)
    var input = data
    var out = [UInt8](repeating: 0, count: data.count + 1024)
    input.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            s.next_in = inp.baseAddress
            s.avail_in = uInt(inp.count)
            s.next_out = o.baseAddress
            s.avail_out = uInt(o.count)
            _ = deflate(&s, Z_FINISH)
        }
    }
    let n = Int(s.total_out)
    deflateEnd(&s)
    return Array(out[0..<n])
}

@Suite struct TarReaderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var format: ImageTarBuilder.Format
        var name: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        Case(label: "ustar short name", format: .ustar, name: "etc/hostname"),
        Case(label: "GNU long name", format: .gnuLongName, name: "usr/" + String(repeating: "d/", count: 60) + "file.txt"),
        Case(label: "PAX path", format: .pax, name: "opt/" + String(repeating: "é", count: 80) + "/x"),
    ])
    func readsNamesAndData(_ c: Case) throws {
        var t = ImageTarBuilder()
        t.directory("etc/")
        t.file(c.name, "hello\n", mode: 0o640, uid: 1000, gid: 1001, format: c.format)
        t.symlink("link", to: c.name, format: c.format)
        let entries = try readAll(t.finished())
        #expect(entries.count == 3)
        #expect(entries[0].0.kind == .directory)
        #expect(entries[1].0.name == c.name)
        #expect(entries[1].0.mode == 0o640)
        #expect(entries[1].0.uid == 1000 && entries[1].0.gid == 1001)
        #expect(entries[1].1 == "hello\n")
        #expect(entries[2].0.kind == .symbolicLink)
        #expect(entries[2].0.linkName == c.name)
    }

    @Test func readsPAXXattrsAndDeviceNumbers() throws {
        var t = ImageTarBuilder()
        t.file("bin/ping", "x", format: .pax, xattrs: ["security.capability": "caps", "user.k": "v"])
        t.charDevice("dev/null", major: 1, minor: 3)
        t.fifo("run/fifo")
        t.hardlink("bin/ping2", to: "bin/ping")
        let e = try readAll(t.finished())
        #expect(e[0].0.xattrs["user.k"] == Array("v".utf8))
        #expect(e[0].0.xattrs["security.capability"] == Array("caps".utf8))
        #expect(e[1].0.kind == .characterDevice && e[1].0.devMajor == 1 && e[1].0.devMinor == 3)
        #expect(e[2].0.kind == .fifo)
        #expect(e[3].0.kind == .hardLink && e[3].0.linkName == "bin/ping")
    }

    @Test func rejectsACorruptHeader() throws {
        var t = ImageTarBuilder()
        t.file("a", "data")
        var bytes = t.finished()
        bytes[10] ^= 0xff
        #expect(throws: TarFormatError.self) { try readAll(bytes) }
        do { _ = try readAll(bytes) } catch { #expect("\(error)".contains("checksum mismatch")) }
    }

    @Test func rejectsATruncatedMember() throws {
        var t = ImageTarBuilder()
        t.file("a", String(repeating: "x", count: 2000))
        let bytes = Array(t.bytes.prefix(1024))
        #expect(throws: CorruptStream.self) { try readAll(bytes) }
    }

    @Test func numericFieldsOctalAndBase256() {
        #expect(parseNumber(ArraySlice(Array("0000644\0".utf8))) == 0o644)
        #expect(parseNumber(ArraySlice(Array("  755 \0".utf8))) == 0o755)
        var big = [UInt8](repeating: 0, count: 12)
        big[0] = 0x80
        big[7] = 0x02  // 2 << 32
        #expect(parseNumber(ArraySlice(big)) == 2 << 32)
        #expect(parseNumber(ArraySlice(Array("12x".utf8))) == nil)
    }

    @Test func gzipSourceHandlesConcatenatedMembers() throws {
        let a = Array("first member ".utf8), b = Array(String(repeating: "second ", count: 5000).utf8)
        let src = try GzipSource(BytesSource(gzip(a) + gzip(b), chunk: 100))
        let h = HashingSource(src)
        try h.drain()
        #expect(h.hasher.finalize() == Digest.sha256(of: a + b))
    }

    @Test func gzipSourceRejectsTruncation() throws {
        let z = gzip(Array(String(repeating: "abc", count: 10000).utf8))
        let h = HashingSource(try GzipSource(BytesSource(Array(z.prefix(z.count / 2)))))
        #expect(throws: CorruptStream.self) { try h.drain() }
    }
}

func zstd(_ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
    let n = data.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3) }
    }
    return Array(out[0..<n])
}

@Suite struct ZstdSourceTests {
    @Test func decodesConcatenatedFrames() throws {
        let a = Array(String(repeating: "zstd frame one ", count: 3000).utf8), b = Array("two".utf8)
        let h = HashingSource(try ZstdSource(BytesSource(zstd(a) + zstd(b), chunk: 333)))
        try h.drain()
        #expect(h.hasher.finalize() == Digest.sha256(of: a + b))
    }

    @Test func rejectsTruncationAndGarbage() throws {
        let z = zstd(Array(String(repeating: "abc", count: 100_000).utf8))
        #expect(throws: CorruptStream.self) { try HashingSource(try ZstdSource(BytesSource(Array(z.prefix(z.count / 2))))).drain() }
        #expect(throws: CorruptStream.self) { try HashingSource(try ZstdSource(BytesSource(Array("not zstd".utf8)))).drain() }
    }
}

@Suite struct LayerNameTests {
    struct Name: CustomTestStringConvertible, Sendable {
        var input: String
        var cleaned: [String]?
        var testDescription: String { input }
    }

    @Test(arguments: [
        Name(input: "./etc/passwd", cleaned: ["etc", "passwd"]),
        Name(input: "a//b/./c/", cleaned: ["a", "b", "c"]),
        Name(input: "a/b/../c", cleaned: ["a", "c"]),
        Name(input: "./", cleaned: []),
        Name(input: "../x", cleaned: nil),
        Name(input: "a/../../x", cleaned: nil),
        Name(input: "/etc/passwd", cleaned: nil),
    ])
    func cleansOrRefuses(_ c: Name) {
        let u = LayerUnpacker(rootFD: -1, layerName: "test", applyWhiteouts: false)
        if let expected = c.cleaned {
            #expect((try? u.clean(c.input, allowAbsolute: false)) == expected)
        } else {
            #expect(throws: ImageStoreError.self) { try u.clean(c.input, allowAbsolute: false) }
        }
    }
}

@Suite struct OverlayOptionTests {
    @Test func snapshotDirsBecomeShortRelativeLinks() {
        let snaps = "/var/lib/berth/snapshots"
        let hex = String(repeating: "ab", count: 32)
        let (dir, options) = OverlayOptions.make(lowerDirs: ["\(snaps)/\(hex)/fs", "/other/dir"], upper: "/c/up,per",
                                                 work: "/c/wo:rk", snapshots: snaps)
        #expect(dir == snaps)
        #expect(options == "lowerdir=l/abababababababab:/other/dir,upperdir=/c/up\\,per,workdir=/c/wo\\:rk")
    }

    @Test func deepImagesStayUnderOnePage() {
        let snaps = "/var/lib/berth/some/long/state/directory/snapshots"
        let lowers = (0..<128).map { i in "\(snaps)/\(Digest.sha256(of: [UInt8(i)]).encoded)/fs" }
        let (_, options) = OverlayOptions.make(lowerDirs: lowers, upper: "/run/berth/c/upper", work: "/run/berth/c/work", snapshots: snaps)
        #expect(options.utf8.count < OverlayOptions.limit)
        #expect(lowers.joined(separator: ":").utf8.count > OverlayOptions.limit)
    }
}

@Suite struct ImportChangeTests {
    @Test func appliesDockerfileInstructions() throws {
        var c = ContainerConfig()
        for change in [#"CMD ["/bin/sh", "-c", "echo hi"]"#, "ENTRYPOINT /init --flag", "ENV A=1 B=\"two words\"",
                       "ENV LEGACY value with spaces", "WORKDIR /srv", "EXPOSE 80 53/udp", "USER nobody",
                       "LABEL org.example=yes", "VOLUME [\"/data\"]", "STOPSIGNAL SIGTERM"] {
            try ImportChange.apply(change, to: &c)
        }
        #expect(c.cmd == ["/bin/sh", "-c", "echo hi"])
        #expect(c.entrypoint == ["/bin/sh", "-c", "/init --flag"])
        #expect(c.env == ["A=1", "B=two words", "LEGACY=value with spaces"])
        #expect(c.workingDir == "/srv")
        #expect(c.exposedPorts.map { Set($0.keys) } == ["80/tcp", "53/udp"])
        #expect(c.user == "nobody")
        #expect(c.labels == ["org.example": "yes"])
        #expect(c.volumes.map { Array($0.keys) } == ["/data"])
        #expect(c.stopSignal == "SIGTERM")
    }

    @Test(arguments: ["RUN echo", "EXPOSE http", "CMD", "LABEL novalue"])
    func rejectsBadChanges(_ change: String) {
        var c = ContainerConfig()
        #expect(throws: ImageStoreError.self) { try ImportChange.apply(change, to: &c) }
    }
}
