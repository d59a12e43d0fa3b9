import CNetlink
import Diagnostics
import Foundation
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace pinned to a file (a bind mount of an nsfs inode, as
/// `ip netns add` makes), so it exists before the container's process and
/// survives its restarts. `up` creates it, attaches networks to it, and the
/// runtime joins it; `down` removes it after the container is gone.
public enum NetworkNamespaceFile {
    /// Creates a new network namespace, pins it at `path` and brings its
    /// loopback up (a namespace that gets a network next is made by
    /// `createOpeningSocket`: the attach brings `lo` up with its interface).
    /// Fails if `path` already holds a namespace.
    public static func create(at path: String) throws {
        let inside = try pin(at: path)
        do {
            try inside.requestAll([(.setLinkUp(name: "lo"), "set link lo up")])
        } catch {
            try? remove(at: path)
            throw error
        }
    }

    /// Creates and pins a new network namespace as `create(at:)` does, and
    /// returns a netlink socket inside it, made by the same thread while it
    /// is there (no second thread and `setns` to open one; the caller
    /// attaches the first network through it, and its `lo` is still down).
    /// The namespace lives at least as long as the socket.
    public static func createOpeningSocket(at path: String) throws -> NetlinkSocket {
        try pin(at: path)
    }

    private static func pin(at path: String) throws -> NetlinkSocket {
        try Sys.ensureDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw SystemError.current("create network namespace file", path) }
        close(fd)

        // unshare() moves only the calling thread, which makes the namespace,
        // pins it, opens a netlink socket in it and goes back home. On the
        // main thread (`run`, a MainThreadCommand) that is the caller itself:
        // a new thread starts behind whatever else is runnable (the monitor
        // starting on the other CPU) and was seen waiting 1–3 ms for one.
        // Elsewhere (compose's tasks on the cooperative pool) a dedicated
        // thread does it, so that no pool thread ever changes namespace. Were
        // the way back refused, the error ends the command: the caller's
        // rollback touches no link.
        let body = { @Sendable () -> Result<Int32, SystemError> in
            let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard home >= 0 else { return .failure(.current("open", "/proc/thread-self/ns/net")) }
            defer { close(home) }
            guard unshare(berth_clone_newnet) == 0 else { return .failure(.current("unshare CLONE_NEWNET")) }
            let rc = mount("/proc/thread-self/ns/net", path, nil, UInt(MS_BIND), nil)
            let savedMount = errno
            let s = rc == 0 ? socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) : -1
            let savedSocket = errno
            guard setns(home, berth_clone_newnet) == 0 else {
                if s >= 0 { close(s) }
                return .failure(.current("setns back to the host network namespace"))
            }
            guard rc == 0 else { return .failure(SystemError("mount --bind network namespace on", path, errno: savedMount)) }
            guard s >= 0 else { return .failure(SystemError("socket AF_NETLINK in", path, errno: savedSocket)) }
            return .success(s)
        }
        let pinned = Thread.isMainThread ? body() : NamespaceThread.run(body)
        do {
            return try NetlinkSocket.adopt(try pinned.get(), what: path)
        } catch {
            try? remove(at: path)
            throw error
        }
    }

    /// Unpins and deletes the namespace file; absent files are fine. The
    /// namespace itself goes away when no process or mount uses it.
    public static func remove(at path: String) throws {
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
            throw SystemError.current("umount network namespace", path)
        }
        if unlink(path) != 0 && errno != ENOENT {
            throw SystemError.current("unlink", path)
        }
    }

    /// Whether `path` currently pins a network namespace.
    public static func exists(at path: String) -> Bool {
        guard let text = try? Sys.readFile("/proc/self/mountinfo") else { return false }
        // mountinfo: id parent dev root mountpoint options … - fstype source options
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == Substring(path),
                  let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return false }
            return fields[dash + 1] == "nsfs"
        }
    }
}
