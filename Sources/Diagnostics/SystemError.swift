#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: `mount overlay on /run/berth/…/rootfs: EBUSY`.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was attempted, e.g. `mount overlay`, `open`, `clone3`.
    public var operation: String
    /// What it was attempted on, e.g. a path or an interface name.
    public var object: String
    public var errno: Int32

    public init(_ operation: String, _ object: String = "", errno: Int32) {
        self.operation = operation
        self.object = object
        self.errno = errno
    }

    /// Captures the calling thread's current `errno`.
    public static func current(_ operation: String, _ object: String = "") -> SystemError {
        SystemError(operation, object, errno: Glibc.errno)
    }

    public var errnoName: String { SystemError.name(of: errno) }

    public var description: String {
        let target = object.isEmpty ? operation : "\(operation) \(object)"
        return "\(target): \(errnoName) (\(String(cString: strerror(errno))))"
    }

    /// The symbolic name of an errno value (`ENOENT`), or `errno N`.
    public static func name(of code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case ESRCH: "ESRCH"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case ENXIO: "ENXIO"
        case E2BIG: "E2BIG"
        case ENOEXEC: "ENOEXEC"
        case EBADF: "EBADF"
        case ECHILD: "ECHILD"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EXDEV: "EXDEV"
        case ENODEV: "ENODEV"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case ENOTTY: "ENOTTY"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case ESPIPE: "ESPIPE"
        case EROFS: "EROFS"
        case EMLINK: "EMLINK"
        case EPIPE: "EPIPE"
        case ERANGE: "ERANGE"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOSYS: "ENOSYS"
        case ENOTEMPTY: "ENOTEMPTY"
        case ELOOP: "ELOOP"
        case ENOTSUP: "EOPNOTSUPP"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case ENETUNREACH: "ENETUNREACH"
        case ECONNREFUSED: "ECONNREFUSED"
        case ETIMEDOUT: "ETIMEDOUT"
        case EDQUOT: "EDQUOT"
        default: "errno \(code)"
        }
    }
}
