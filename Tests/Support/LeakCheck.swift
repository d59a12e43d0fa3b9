import Foundation
import SystemCalls

/// Finds what a test left behind: mounts and processes under its directory,
/// and berth-named kernel objects (links, nftables tables, cgroups, network
/// namespaces, eBPF programs) that did not exist before it started. Integration suites are
/// `.serialized`, so a difference is this test's.
public enum LeakCheck {
    public struct Snapshot: Sendable {
        var links: Set<String>
        var nftTables: Set<String>
        var cgroups: Set<String>
        var bpfPrograms: Set<String>

        public static func take() -> Snapshot {
            Snapshot(links: LeakCheck.berthLinks(), nftTables: LeakCheck.berthNFTTables(),
                     cgroups: LeakCheck.berthCgroups(), bpfPrograms: LeakCheck.berthBPFPrograms())
        }
    }

    public static func leaks(under directory: String, since before: Snapshot) -> [String] {
        var found: [String] = []
        found += mounts(under: directory).map { "mount \($0)" }
        found += processes(referencing: directory).map { "process \($0)" }
        let after = Snapshot.take()
        found += after.links.subtracting(before.links).sorted().map { "link \($0)" }
        found += after.nftTables.subtracting(before.nftTables).sorted().map { "nftables table \($0)" }
        found += after.cgroups.subtracting(before.cgroups).sorted().map { "cgroup \($0)" }
        found += after.bpfPrograms.subtracting(before.bpfPrograms).sorted().map { "eBPF program \($0)" }
        return found
    }

    /// Mount points at or below `directory` (from /proc/self/mountinfo).
    public static func mounts(under directory: String) -> [String] {
        guard let text = try? Sys.readFile("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescapeMountPath(String(fields[4]))
            return point == directory || point.hasPrefix(directory + "/") ? point : nil
        }
    }

    /// Processes whose command line, working directory or open files
    /// mention `directory` (a monitor spawned ahead of its container, by
    /// `run`, names no directory on its command line; it holds the
    /// container's log open).
    public static func processes(referencing directory: String) -> [String] {
        let me = ProcessInfo.processInfo.processIdentifier
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return pids.compactMap { Int32($0) }.filter { $0 != me }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if cmd.contains(directory) { return "\(pid) \(cmd)" }
            if let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
               cwd.hasPrefix(directory) {
                return "\(pid) \(cmd) (cwd \(cwd))"
            }
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            if let open = fds.lazy.compactMap({ try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") })
                .first(where: { $0.hasPrefix(directory) }) {
                return "\(pid) \(cmd) (open \(open))"
            }
            return nil
        }
    }

    /// Network links whose names look like berth's (`berth…`, `brt…`, `vb…`).
    public static func berthLinks() -> Set<String> {
        ((try? HostLinks.names()) ?? []).filter { isBerthName($0) }
    }

    public static func berthNFTTables() -> Set<String> {
        guard let out = try? capture("/usr/sbin/nft", ["list", "tables"]) else { return [] }
        return Set(out.split(separator: "\n").map(String.init).filter { isBerthName($0) })
    }

    /// Loaded eBPF programs named like berth's socket redirect (`brt4…`):
    /// attached ones outlive the process that loaded them.
    public static func berthBPFPrograms() -> Set<String> {
        guard let out = try? capture("/usr/sbin/bpftool", ["prog", "show"]) else { return [] }
        return Set(out.split(separator: " ").filter { $0.hasPrefix("brt4") }.map(String.init))
    }

    /// cgroup directories named like berth's, on every v1 hierarchy and v2.
    public static func berthCgroups() -> Set<String> {
        var found: Set<String> = []
        let base = "/sys/fs/cgroup"
        let hierarchies = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).map { "\(base)/\($0)" } + [base]
        for h in hierarchies {
            // Containers' cgroups sit directly below each root (`berth-<id>`).
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: h)) ?? [] where isBerthName(entry) {
                found.insert("\(h)/\(entry)")
            }
        }
        return found
    }

    static func isBerthName(_ s: String) -> Bool {
        let lower = s.lowercased()
        return lower.contains("berth") || lower.hasPrefix("brt") || lower.contains(" brt")
    }

    static func unescapeMountPath(_ s: String) -> String {
        s.replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
            .replacingOccurrences(of: "\\012", with: "\n").replacingOccurrences(of: "\\134", with: "\\")
    }

    /// A command's standard output, through the shared `runProcess`.
    static func capture(_ path: String, _ args: [String]) throws -> String {
        try runProcess(URL(fileURLWithPath: path), args, timeout: 60).stdout
    }
}
