#if canImport(Glibc)
import Glibc
#endif

/// Reads a /proc file to its end. /proc files report size 0, and
/// Foundation's `String(contentsOfFile:)` stopped after the first 4 KiB of
/// /proc/self/mountinfo on a machine with many mounts (a pinned network
/// namespace at the end of the list went unseen).
enum ProcFile {
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
