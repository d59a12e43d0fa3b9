#if canImport(Glibc)
import Glibc
#endif

/// C memory for one `brt_config`: every string and array the child reads,
/// allocated before clone and freed after the parent is done with it.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for b in blocks { free(b) } }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    func optionalString(_ s: String?) -> UnsafePointer<CChar>? {
        s.map { UnsafePointer(string($0)) }
    }

    /// A NULL-terminated `char *[]`.
    func stringArray(_ list: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let p = array(list.map { Optional(string($0)) } + [nil])
        return p
    }

    /// A `const char *const *` of `list.count` entries.
    func constStringArray(_ list: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        UnsafePointer(array(list.map { Optional(UnsafePointer(string($0))) } + [nil]))
    }

    func array<T>(_ items: [T]) -> UnsafeMutablePointer<T> {
        let count = max(items.count, 1)
        let raw = malloc(MemoryLayout<T>.stride * count)!
        blocks.append(raw)
        let p = raw.bindMemory(to: T.self, capacity: count)
        for (i, item) in items.enumerated() { (p + i).initialize(to: item) }
        return p
    }
}
