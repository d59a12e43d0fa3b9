/// Docker's `--detach-keys`: a key sequence typed on an attached stdin that
/// detaches the client and leaves the container running. Bytes that start
/// the sequence are held back until it either completes (detach; they are
/// never sent) or breaks (they are sent, followed by what broke it).
public struct DetachKeys: Sendable, Equatable {
    public let sequence: [UInt8]
    private var matched = 0

    /// Docker's default, Ctrl-P Ctrl-Q.
    public static let standard = DetachKeys(sequence: [0x10, 0x11])

    public init(sequence: [UInt8]) { self.sequence = sequence }

    /// Parses Docker's syntax: comma-separated keys, each one ASCII character
    /// or `ctrl-<x>` with x one of a-z, @, [, \, ], ^, _ (`ctrl-p,ctrl-q`).
    /// Nil for an empty or malformed spec.
    public init?(spec: String) {
        var keys: [UInt8] = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let key = String(part)
            if key.count == 1, let a = key.unicodeScalars.first, a.isASCII {
                keys.append(UInt8(a.value))
            } else if key.lowercased().hasPrefix("ctrl-"), key.count == 6, let c = key.lowercased().unicodeScalars.last {
                switch c {
                case "a"..."z": keys.append(UInt8(c.value) - 0x60)
                case "@", "[", "\\", "]", "^", "_": keys.append(UInt8(c.value) - 0x40)
                default: return nil
                }
            } else {
                return nil
            }
        }
        guard !keys.isEmpty else { return nil }
        self.init(sequence: keys)
    }

    /// Feeds typed bytes; returns what to forward now and whether the
    /// sequence completed (the bytes after it are dropped, as the client leaves).
    public mutating func feed(_ bytes: some Collection<UInt8>) -> (forward: [UInt8], detach: Bool) {
        var out: [UInt8] = []
        for b in bytes {
            if b == sequence[matched] {
                matched += 1
                if matched == sequence.count {
                    matched = 0
                    return (out, true)
                }
                continue
            }
            // Broken: the held prefix goes out, then this byte (which may start a new match).
            out += sequence[0..<matched]
            matched = 0
            if b == sequence[0] {
                matched = sequence.count == 1 ? 0 : 1
                if sequence.count == 1 { return (out, true) }
            } else {
                out.append(b)
            }
        }
        return (out, false)
    }
}
