import CNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Deletes links so that the caller waits only until they are gone from the
/// namespace, not until the kernel has freed them. Deleting a bridge holds
/// the `RTM_DELLINK` caller for the kernel's RCU grace periods and barriers
/// (40–60 ms here) although its addresses, routes and name are gone about
/// halfway through; `berth-linkdel` (beside the executable, or
/// `$BERTH_LINKDEL`) makes that request in the background and this waits,
/// polling, until the links are no longer listed. Without the helper, or when
/// a link is still listed after `timeout` seconds, the links are deleted here.
public struct LinkDeleter: Sendable {
    public let helper: String?

    public init(helper: String? = LinkDeleter.defaultHelperPath()) {
        self.helper = helper
    }

    public static func defaultHelperPath() -> String? {
        if let env = ProcessInfo.processInfo.environment["BERTH_LINKDEL"] { return env.isEmpty ? nil : env }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("berth-linkdel").path
        return access(path, X_OK) == 0 ? path : nil
    }

    /// Deletes `names` (those not there are fine); returns once none is listed.
    public func delete(_ names: [String], timeout: Double = 3) throws {
        guard !names.isEmpty else { return }
        guard let helper, spawnDetached(helper, names) else {
            let control = LinkControl(try NetlinkSocket())
            for name in names { _ = try control.deleteIfPresent(name) }
            return
        }
        try LinkDeleter.awaitGone(names, timeout: timeout)
    }

    /// Waits until the kernel has deleted `names`, then deletes whatever is
    /// still listed after `timeout` seconds.
    public static func awaitGone(_ names: [String], timeout: Double = 3) throws {
        guard !names.isEmpty else { return }
        let control = LinkControl(try NetlinkSocket())
        var left = names
        var waited = 0.0
        // One netlink request per link every 1 ms.
        while !left.isEmpty && waited < timeout {
            left = try left.filter { try control.link(named: $0) != nil }
            if left.isEmpty { return }
            usleep(1_000)
            waited += 0.001
        }
        for name in left { _ = try control.deleteIfPresent(name) }
    }

    /// Runs the helper with its output on /dev/null and nothing else
    /// inherited; it forks and returns at once (its child is init's).
    private func spawnDetached(_ helper: String, _ names: [String]) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        let args = [helper] + names
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, helper, &actions, nil, &cargs, environ) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
    }
}
