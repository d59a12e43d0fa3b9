import CNetlink
import Foundation
import Synchronization
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Deletes links so that the caller waits only until they are gone from the
/// namespace, not until the kernel has freed them. Deleting a bridge holds
/// the `RTM_DELLINK` caller for the kernel's RCU grace periods and barriers
/// (35–50 ms here: `br_multicast_dev_del` and `netdev_run_todo` each wait
/// for an `rcu_barrier`) although its routes are flushed and its name
/// unlisted within the first few milliseconds; `berth-linkdel` (beside the
/// executable, or `$BERTH_LINKDEL`) makes that request in the background and
/// this waits, polling, until the names no longer resolve. Without the helper,
/// or when a link still resolves after `timeout` seconds, the links are
/// deleted here.
///
/// The names are looked up with `if_nametoindex` (`SIOCGIFINDEX`, an RCU
/// lookup in the name hash) rather than `RTM_GETLINK`: the kernel unlists a
/// device before its teardown's grace periods, while a netlink query would
/// wait on the RTNL lock the deletion holds until almost the end. Link
/// dumps (`ip link`, a leak check) also wait for that lock and so never see
/// a half-deleted device.
///
/// `prepare()` starts the helper ahead of time, waiting for the names on a
/// pipe (`down` does at its start, so that no process start lies between its
/// last container's exit and the bridge's deletion); a prepared helper that
/// is never used ends when this is released.
public final class LinkDeleter: Sendable {
    public let helper: String?
    /// Our end of a prepared helper's standard input, -1 when none.
    private let prepared = Mutex<Int32>(-1)

    public init(helper: String? = LinkDeleter.defaultHelperPath()) {
        self.helper = helper
    }

    deinit {
        let fd = prepared.withLock { $0 }
        if fd >= 0 { close(fd) }
    }

    public static func defaultHelperPath() -> String? {
        if let env = getenv("BERTH_LINKDEL") { return env.pointee == 0 ? nil : String(cString: env) }
        let path = Sys.besideExecutable("berth-linkdel")
        return access(path, X_OK) == 0 ? path : nil
    }

    /// Starts the helper now; the next `delete` hands it the names.
    public func prepare() {
        guard let helper, prepared.withLock({ $0 }) < 0 else { return }
        // A socket rather than a pipe: a helper gone meanwhile makes the
        // send fail (MSG_NOSIGNAL) instead of raising SIGPIPE here.
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { return }
        if spawnDetached(helper, ["-"], input: fds[0]) {
            prepared.withLock { $0 = fds[1] }
        } else {
            close(fds[1])
        }
        close(fds[0])
    }

    /// Deletes `names` (those not there are fine); returns once none is listed.
    public func delete(_ names: [String], timeout: Double = 3) throws {
        // Not a netlink query: that would wait for another deletion's RTNL hold.
        let present = names.filter(LinkDeleter.resolves)
        guard !present.isEmpty else { return }
        let ready = prepared.withLock { fd in defer { fd = -1 }; return fd }
        let handedOver: Bool
        if ready >= 0 {
            let text = Array((present.joined(separator: "\n") + "\n").utf8)
            handedOver = text.withUnsafeBytes { send(ready, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == text.count
            close(ready)
        } else if let helper {
            handedOver = spawnDetached(helper, present, input: nil)
        } else {
            handedOver = false
        }
        guard handedOver else {
            let control = LinkControl(try NetlinkSocket())
            for name in present { _ = try control.deleteIfPresent(name) }
            return
        }
        try LinkDeleter.awaitGone(present, timeout: timeout)
    }

    /// Waits until the kernel has deleted `names`, then deletes whatever is
    /// still listed after `timeout` seconds.
    public static func awaitGone(_ names: [String], timeout: Double = 3) throws {
        var left = names.filter(resolves)
        var waited = 0.0
        // One lookup per link every 0.5 ms.
        while !left.isEmpty && waited < timeout {
            usleep(500)
            waited += 0.0005
            left = left.filter(resolves)
        }
        guard !left.isEmpty else { return }
        let control = LinkControl(try NetlinkSocket())
        for name in left { _ = try control.deleteIfPresent(name) }
    }

    /// Whether `name` is a link of this network namespace now.
    static func resolves(_ name: String) -> Bool {
        if_nametoindex(name) != 0
    }

    /// Runs the helper with `input` (or /dev/null) as standard input, its
    /// output on /dev/null and nothing else inherited; it forks and returns
    /// at once (its child is init's).
    private func spawnDetached(_ helper: String, _ arguments: [String], input: Int32?) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input { posix_spawn_file_actions_adddup2(&actions, input, 0) }
        for fd: Int32 in (input == nil ? 0 : 1)...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        let args = [helper] + arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, helper, &actions, nil, &cargs, environ) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
    }
}
