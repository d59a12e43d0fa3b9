import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Runs a source (read + verify + decompress) on its own thread and hands
/// the bytes over a socketpair, so decompression and hashing overlap with
/// unpacking on another core — as `tar -z` overlaps with its gzip child.
/// Only plain Swift runs on that thread (no fork is involved).
final class PipelinedSource: ByteSource {
    /// What the producer thread owns; released when it exits.
    private final class Producer: @unchecked Sendable {
        let inner: any ByteSource
        let fd: Int32
        var error: (any Error)?
        init(inner: any ByteSource, fd: Int32) {
            self.inner = inner
            self.fd = fd
        }

        func run() {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
            defer {
                buffer.deallocate()
                close(fd)
            }
            guard let base = buffer.baseAddress else { return }
            do {
                while true {
                    let n = try inner.read(into: buffer)
                    if n == 0 { return }
                    var off = 0
                    while off < n {
                        let w = send(fd, base + off, n - off, Int32(MSG_NOSIGNAL))
                        if w < 0 {
                            if errno == EINTR { continue }
                            return  // the reader went away (it failed or stopped early)
                        }
                        off += w
                    }
                }
            } catch {
                self.error = error
            }
        }
    }

    private let readFD: Int32
    private let producer: Producer
    private var thread: pthread_t
    private var joined = false

    init(_ inner: any ByteSource) throws {
        var fds: [Int32] = [0, 0]
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) != 0 {
            throw SystemError.current("socketpair", "unpack pipeline")
        }
        var size: Int32 = 1 << 20
        _ = setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        readFD = fds[0]
        producer = Producer(inner: inner, fd: fds[1])
        let context = Unmanaged.passRetained(producer).toOpaque()
        var t = pthread_t()
        let r = pthread_create(&t, nil, { raw in
            guard let raw else { return nil }
            let p = Unmanaged<Producer>.fromOpaque(raw).takeRetainedValue()
            p.run()
            return nil
        }, context)
        if r != 0 {
            Unmanaged<Producer>.fromOpaque(context).release()
            close(fds[0])
            close(fds[1])
            throw SystemError("pthread_create", "unpack pipeline", errno: r)
        }
        thread = t
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = recv(readFD, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return n }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw SystemError.current("recv", "unpack pipeline") }
            // End of stream: the producer finished; surface its error.
            join()
            if let e = producer.error { throw e }
            return 0
        }
    }

    private func join() {
        if joined { return }
        joined = true
        pthread_join(thread, nil)
    }

    deinit {
        close(readFD)  // unblocks a producer still sending
        join()
    }
}
