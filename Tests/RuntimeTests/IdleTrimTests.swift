import CMonitor
import Foundation
import Testing

/// The monitor's idle trim (`cm_release_file_pages`) drops only pages that
/// still are the file's own: a private copy written since keeps its content.
@Suite struct IdleTrimTests {
    static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether the page at `address` is mapped in (pagemap's present bit).
    static func present(_ address: UnsafeMutableRawPointer) throws -> Bool {
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var entry: UInt64 = 0
        let offset = off_t(UInt(bitPattern: address) / UInt(page) * 8)
        try #require(pread(fd, &entry, 8, offset) == 8)
        return entry >> 63 & 1 == 1
    }

    @Test func unwrittenFilePagesGoAndWrittenCopiesStay() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("berth-trim-\(getpid())").path
        try Data(repeating: 0xab, count: 3 * Self.page).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let mapped = mmap(nil, 3 * Self.page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        let base = try #require(mapped == MAP_FAILED ? nil : mapped)
        defer { munmap(base, 3 * Self.page) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        // Page 0 read (the file's page; the kernel maps page 2 along with
        // it, as it is in the page cache), page 1 written (a private copy).
        #expect(bytes[0] == 0xab)
        bytes[Self.page] = 0x11
        #expect(try Self.present(base) && Self.present(base + Self.page))

        #expect(cm_release_clean_pages(base, 3 * Self.page) >= 1)
        #expect(try !Self.present(base) && Self.present(base + Self.page) && !Self.present(base + 2 * Self.page))
        #expect(bytes[Self.page] == 0x11 && bytes[Self.page + 1] == 0xab)
        #expect(bytes[0] == 0xab && bytes[2 * Self.page] == 0xab)
    }
}
