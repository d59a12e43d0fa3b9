/// Value checks for a service's network keys: `mac_address` (service level
/// and per network) and `network_mode`.
enum NetworkSyntax {
    /// A unicast Ethernet address: six hex pairs separated by `:` or `-`
    /// (what Docker's `net.ParseMAC` takes for Ethernet); the kernel refuses
    /// multicast and all-zero addresses on an interface, so they are
    /// refused here, where the file position is still known.
    static func checkMAC(_ text: String) -> SyntaxError? {
        let separator: Character = text.contains("-") ? "-" : ":"
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        let bytes = parts.compactMap { p -> UInt8? in
            guard p.count == 2, p.allSatisfy(\.isHexDigit) else { return nil }
            return UInt8(p, radix: 16)
        }
        guard parts.count == 6, bytes.count == 6 else {
            return SyntaxError("invalid MAC address \"\(text)\" (expected six hex pairs such as 02:42:ac:11:00:02)")
        }
        if bytes[0] & 1 != 0 {
            return SyntaxError("invalid MAC address \"\(text)\": a multicast address cannot be an interface's address (the first byte must be even, e.g. 02)")
        }
        if bytes.allSatisfy({ $0 == 0 }) {
            return SyntaxError("invalid MAC address \"\(text)\": all zeros")
        }
        return nil
    }

    /// `host`, `none`, `service:NAME` or `container:NAME`.
    static func checkMode(_ text: String) -> SyntaxError? {
        if text == "host" || text == "none" { return nil }
        for prefix in ["service:", "container:"] where text.hasPrefix(prefix) {
            return text.count > prefix.count ? nil : SyntaxError("network_mode \"\(text)\" needs a name after \"\(prefix)\"")
        }
        return SyntaxError("unsupported network_mode \"\(text)\" (berth supports host, none, service:NAME and container:NAME; to join a network, use \"networks:\")")
    }
}
