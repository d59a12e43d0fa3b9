import CRuntime
import Diagnostics

/// Turns the child's `{step, errno, path}` report into a `SystemError`
/// named after the system call that failed.
enum LaunchStep {
    static func operation(_ step: Int32) -> String {
        switch step {
        case 1: "read start pipe"
        case 2: "dup2 stdio"
        case 3: "setsid"
        case 4: "setns"
        case 5: "unshare CLONE_NEWCGROUP"
        case 6: "sethostname"
        case 7: "setdomainname"
        case 8: "mount MS_REC|MS_SLAVE"
        case 9: "mount rootfs"
        case 10: "open rootfs"
        case 11: "openat2 RESOLVE_IN_ROOT mount target"
        case 12: "mount"
        case 13: "mount /dev"
        case 14: "write sysctl"
        case 15: "mask path"
        case 16: "mount read-only path"
        case 17: "create working directory"
        case 18: "pivot_root"
        case 19: "remount / MS_RDONLY"
        case 20: "setrlimit"
        case 21: "setgroups"
        case 22: "setresgid"
        case 23: "setresuid"
        case 24: "capset"
        case 25: "prctl PR_SET_NO_NEW_PRIVS"
        case 26: "seccomp SECCOMP_SET_MODE_FILTER"
        case 27: "chdir"
        case 28: "close_range"
        case 29: "execve"
        case 30: "clone CLONE_PARENT"
        case 31: "set up the container's terminal"
        case 32: "ioctl SIOCSIFFLAGS IFF_UP"
        case 33: "join cgroup"
        default: "container setup step \(step)"
        }
    }

    static func error(from r: brt_report) -> SystemError {
        let path = withUnsafeBytes(of: r.path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return SystemError(operation(r.step), path, errno: r.err)
    }
}
