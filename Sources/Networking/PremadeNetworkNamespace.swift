import CNetlink
import Diagnostics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace made on a thread of its own while `berth run` does
/// other work (its parse, the image, the record), with a netlink socket
/// opened inside it; `NetworkNamespaceFile.createOpeningSocket(at:premade:)`
/// pins it once the container's id is known. Creating a namespace is
/// ~0.5–0.8 ms of kernel work (every subsystem's per-namespace set-up),
/// which then overlaps the rest instead of following it. Nothing of it is
/// on disk before it is pinned: one not taken is gone with its descriptors.
public final class PremadeNetworkNamespace: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var made: (namespace: Int32, socket: Int32)?
    private var waited = false

    private init() {}

    /// Starts making one.
    public static func begin() -> PremadeNetworkNamespace {
        let premade = PremadeNetworkNamespace()
        let thread = Thread {
            premade.made = make()
            premade.done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        return premade
    }

    /// Runs on the thread, which ends right after: it never needs to go
    /// back to the host's namespace for anything but hygiene.
    private static func make() -> (namespace: Int32, socket: Int32)? {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { return nil }
        defer { close(home) }
        guard unshare(berth_clone_newnet) == 0 else { return nil }
        let ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let s = ns >= 0 ? socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) : -1
        _ = setns(home, berth_clone_newnet)
        guard ns >= 0, s >= 0 else {
            if ns >= 0 { close(ns) }
            if s >= 0 { close(s) }
            return nil
        }
        return (ns, s)
    }

    /// Waits for it and hands its descriptors over (once); nil when it
    /// could not be made (the caller makes one itself, and reports why).
    func take() -> (namespace: Int32, socket: Int32)? {
        if !waited { done.wait(); waited = true }
        defer { made = nil }
        return made
    }

    deinit {
        if !waited { done.wait() }
        if let made { close(made.namespace); close(made.socket) }
    }
}
