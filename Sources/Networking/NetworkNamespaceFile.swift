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
    /// loopback up (unless `loopbackUp` is false: the caller attaches a
    /// network next, which brings `lo` up in the same netlink session).
    /// Fails if `path` already holds a namespace.
    public static func create(at path: String, loopbackUp: Bool = true) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw SystemError.current("create network namespace file", path) }
        close(fd)

        // unshare() moves only the calling thread; a dedicated thread makes
        // the namespace, pins it, and goes back home before it ends.
        let pinned = NamespaceThread.run { () -> Result<Void, SystemError> in
            let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard home >= 0 else { return .failure(.current("open", "/proc/thread-self/ns/net")) }
            defer { close(home) }
            guard unshare(berth_clone_newnet) == 0 else { return .failure(.current("unshare CLONE_NEWNET")) }
            let rc = mount("/proc/thread-self/ns/net", path, nil, UInt(MS_BIND), nil)
            let saved = errno
            guard setns(home, berth_clone_newnet) == 0 else { return .failure(.current("setns back to the host network namespace")) }
            guard rc == 0 else { return .failure(SystemError("mount --bind network namespace on", path, errno: saved)) }
            return .success(())
        }
        do {
            try pinned.get()
            guard loopbackUp else { return }
            let links = LinkControl(try NetlinkSocket.open(namespace: path))
            try links.setUp(try links.index(of: "lo"), name: "lo")
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
