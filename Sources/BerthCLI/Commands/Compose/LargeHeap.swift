#if canImport(Glibc)
import Glibc
#endif

/// Sets glibc's main heap up for a command that builds large trees (loading
/// a 200-service project allocates ~5 MB in small blocks): the heap grows
/// in 16 MiB steps that are kept until exit, and the 2 MiB-aligned part of
/// the first step is marked for transparent huge pages (`MADV_HUGEPAGE`),
/// so first touching that memory costs a few huge-page faults instead of
/// ~1,000 page faults. It is what
/// `GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216`
/// does, for this process only. Advice only: without huge pages (THP off,
/// none free) the heap simply grows in larger steps.
/// The loader's helper threads allocate from that same heap (one arena):
/// with an arena each, glibc grew every thread's heap page by page (~500
/// `mprotect` calls and ~800 more page faults for the 200-service file).
enum LargeHeap {
    static let step = 16 << 20
    static let hugePage = 2 << 20
    nonisolated(unsafe) private static var growth: UnsafeMutableRawPointer?

    nonisolated(unsafe) private static var prepared = false

    /// Once per process, before the first helper thread starts.
    static func prepare() {
        if prepared { return }
        prepared = true
        // glibc's malloc.h is not part of the Glibc module: mallopt is
        // looked up by name, its option numbers are glibc's ABI.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8
        _ = mallopt(arenaMax, 1)
        // Grow in large steps, never give memory back before exit, and
        // serve blocks up to 4 MiB from the heap (so the growth below
        // happens in the heap).
        guard mallopt(topPad, Int32(step)) == 1, mallopt(trimThreshold, Int32(4 * step)) == 1,
              mallopt(mmapThreshold, Int32(4 << 20)) == 1 else { return }
        guard let start = sbrk(0) else { return }
        // A block larger than the free space at the top of the heap (a
        // little after argument parsing) makes it grow now by a whole step.
        // (Kept in a global while it exists: a block nothing reads could be
        // optimized away with its malloc/free pair.)
        growth = malloc(1 << 20)
        guard growth != nil else { return }
        defer {
            free(growth)
            growth = nil
        }
        guard let end = sbrk(0) else { return }
        let low = (UInt(bitPattern: start) + UInt(hugePage) - 1) & ~UInt(hugePage - 1)
        let high = UInt(bitPattern: end) & ~UInt(hugePage - 1)
        guard high > low, let base = UnsafeMutableRawPointer(bitPattern: low) else { return }
        _ = madvise(base, Int(high - low), MADV_HUGEPAGE)
    }
}
