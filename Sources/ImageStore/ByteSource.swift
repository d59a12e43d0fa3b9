import CZlib
import CZstd
import Diagnostics
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// A stream of bytes read in chunks (a file, a pipe, a decompressor).
protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension StoreFile: ByteSource {}

/// Hashes everything that passes through.
final class HashingSource: ByteSource {
    let inner: any ByteSource
    var hasher = DigestHasher()

    init(_ inner: any ByteSource) { self.inner = inner }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    /// Reads to the end (so the digest covers the whole stream).
    func drain() throws {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while try scratch.withUnsafeMutableBytes({ try read(into: $0) }) > 0 {}
    }
}

/// Errors of the decompressor: the stream is not valid gzip.
struct CorruptStream: Error, CustomStringConvertible {
    var description: String
}

/// gzip (and concatenated gzip members) decompression with zlib.
final class GzipSource: ByteSource {
    private let inner: any ByteSource
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var sawInputEOF = false

    init(_ inner: any ByteSource) throws {
        self.inner = inner
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        // 15 + 16: gzip wrapper only.
        if berth_inflate_init(&stream, 15 + 16) != Z_OK {
            input.deallocate()
            throw CorruptStream(description: "zlib: inflateInit failed")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished || buffer.count == 0 { return 0 }
        stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !sawInputEOF {
                let n = try inner.read(into: input)
                if n == 0 {
                    sawInputEOF = true
                } else {
                    stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
                continue
            }
            if memberEnded {
                // Between gzip members: more members may follow (pigz,
                // concatenated streams); zero padding after the last is ignored.
                if stream.avail_in == 0 { finished = true; break }
                if stream.next_in.pointee == 0 { finished = true; break }
                inflateReset(&stream)
                memberEnded = false
            }
            if stream.avail_in == 0 && sawInputEOF {
                throw CorruptStream(description: "unexpected end of gzip data (truncated layer)")
            }
            let r = inflate(&stream, Z_NO_FLUSH)
            if r == Z_STREAM_END { memberEnded = true; continue }
            if r == Z_OK || (r == Z_BUF_ERROR && stream.avail_in == 0) { continue }
            let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(r)"
            throw CorruptStream(description: "corrupt gzip data: \(msg)")
        }
        return buffer.count - Int(stream.avail_out)
    }

    private var memberEnded = false
}

/// zstd decompression (concatenated frames included) with libzstd's streaming API.
final class ZstdSource: ByteSource {
    private let inner: any ByteSource
    private let stream: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var sawInputEOF = false
    /// 0 when the last frame is complete (ZSTD_decompressStream's hint).
    private var frameHint = 0

    init(_ inner: any ByteSource) throws {
        self.inner = inner
        guard let s = ZSTD_createDStream() else { throw CorruptStream(description: "zstd: cannot create a decompression stream") }
        stream = s
        input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while out.pos == 0 {
            if inBuffer.pos == inBuffer.size {
                if sawInputEOF {
                    if frameHint != 0 { throw CorruptStream(description: "unexpected end of zstd data (truncated layer)") }
                    return 0
                }
                let n = try inner.read(into: input)
                if n == 0 { sawInputEOF = true; continue }
                inBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(input.baseAddress), size: n, pos: 0)
            }
            let r = ZSTD_decompressStream(stream, &out, &inBuffer)
            if ZSTD_isError(r) != 0 {
                throw CorruptStream(description: "corrupt zstd data: \(String(cString: ZSTD_getErrorName(r)))")
            }
            frameHint = r
        }
        return out.pos
    }
}

/// A buffered reader for the tar parser: exact reads, skips, and zero-copy
/// access to the next chunk of data.
final class BufferedInput {
    private let source: any ByteSource
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private(set) var offset: Int64 = 0

    init(_ source: any ByteSource, capacity: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Fills so that at least one byte is available; false at end of stream.
    private func fill() throws -> Bool {
        if start < end { return true }
        start = 0
        end = try source.read(into: buffer)
        return end > 0
    }

    /// Reads exactly `count` bytes, or returns nil if the stream ends first
    /// with zero bytes read; throws if it ends midway.
    func readExact(_ count: Int) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if try !fill() {
                if out.isEmpty { return nil }
                throw CorruptStream(description: "unexpected end of archive at byte \(offset)")
            }
            let n = min(count - out.count, end - start)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<start + n]))
            start += n
            offset += Int64(n)
        }
        return out
    }

    /// Passes the next `count` bytes to `body` in chunks.
    func consume(_ count: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = count
        while left > 0 {
            if try !fill() { throw CorruptStream(description: "unexpected end of archive at byte \(offset)") }
            let n = Int(min(left, Int64(end - start)))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<start + n]))
            start += n
            offset += Int64(n)
            left -= Int64(n)
        }
    }

    func skip(_ count: Int64) throws {
        try consume(count) { _ in }
    }

    /// Reads and discards everything left.
    func drain() throws {
        while try fill() {
            offset += Int64(end - start)
            start = end
        }
    }
}

/// Opens a layer blob as an uncompressed tar stream, hashing both the blob
/// (to verify it against its digest) and the tar (its diff ID).
struct LayerStream {
    let blob: HashingSource
    let tar: HashingSource
    let input: BufferedInput

    /// With `pipelined`, reading the blob, both hashes and decompression run
    /// on a producer thread; only tar parsing and file creation stay here.
    init(file: any ByteSource, compression: LayerCompression, pipelined: Bool = false) throws {
        blob = HashingSource(file)
        switch compression {
        case .uncompressed: tar = HashingSource(blob)
        case .gzip: tar = HashingSource(try GzipSource(blob))
        case .zstd: tar = HashingSource(try ZstdSource(blob))
        }
        input = BufferedInput(pipelined ? try PipelinedSource(tar) : tar)
    }
}
