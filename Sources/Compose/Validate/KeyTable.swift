/// A fixed table of compose key names (the schema's fields, the keys the
/// normalizer rewrites), looked up without `Hasher` (a `Dictionary` lookup
/// of a short key is mostly the set-up and finalization of its seeded
/// SipHash; validation, canonicalization and normalization look up every
/// key of the tree): open addressing on FNV-1a of the key's UTF-8 bytes.
/// It finds what a `Dictionary` finds as long as no key is canonically
/// equivalent to a text of other bytes, true of compose key names
/// (lowercase ASCII letters, digits, `_` and `-`).
struct KeyTable<Value: Sendable>: Sendable {
    private let keys: [String]
    /// Each key's hash: compared before the text, so that a probe past
    /// another key costs no string comparison.
    private let hashes: [Int]
    private let values: [Value]
    /// Index + 1 into `keys` and `values`; 0 for an empty slot.
    private let slots: [Int32]
    private let mask: Int

    init(_ entries: [String: Value]) {
        var size = 8
        while size < entries.count * 2 { size <<= 1 }   // at most half full
        var slots = [Int32](repeating: 0, count: size)
        var keys: [String] = [], hashes: [Int] = [], values: [Value] = []
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            let hash = Self.hash(key)
            var i = hash & (size - 1)
            while slots[i] != 0 { i = (i + 1) & (size - 1) }
            keys.append(key)
            hashes.append(hash)
            values.append(value)
            slots[i] = Int32(keys.count)
        }
        self.keys = keys
        self.hashes = hashes
        self.values = values
        self.slots = slots
        self.mask = size - 1
    }

    var isEmpty: Bool { keys.isEmpty }

    subscript(key: String) -> Value? {
        let hash = Self.hash(key)
        var i = hash & mask
        while true {
            let slot = Int(slots[i])
            if slot == 0 { return nil }
            if hashes[slot - 1] == hash, keys[slot - 1] == key { return values[slot - 1] }
            i = (i + 1) & mask
        }
    }

    private static func hash(_ key: String) -> Int {
        // Over the bytes in place (a small string's are copied to the
        // stack), not through the view's iterator.
        key.utf8.withContiguousStorageIfAvailable(hash) ?? hash(key.utf8)
    }

    private static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }
}
