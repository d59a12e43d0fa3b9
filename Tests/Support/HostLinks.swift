import Foundation

/// The host's network links as users see them: `ip -o link show`, a netlink
/// dump. Not `/sys/class/net`: the kernel unlists a deleted device (name,
/// dumps, `if_nametoindex`) within a few milliseconds and keeps its sysfs
/// entry until the end of the teardown's RCU grace periods, which berth
/// leaves to a background helper.
public enum HostLinks {
    /// Every link name of the test process's network namespace.
    public static func names() throws -> Set<String> {
        let text = try runProcess(URL(fileURLWithPath: "/usr/sbin/ip"), ["-o", "link", "show"], timeout: 60).stdout
        // "7: brt-1a2b3c4d: <BROADCAST,…" or "9: vb1@if2: …"
        return Set(text.split(separator: "\n").compactMap { line in
            line.split(separator: " ").dropFirst().first.map { String($0.prefix { $0 != ":" && $0 != "@" }) }
        })
    }

    /// Whether `name` is a link of the test process's network namespace.
    public static func exists(_ name: String) throws -> Bool {
        try names().contains(name)
    }
}
