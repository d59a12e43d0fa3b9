import CMonitor
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The container's standard streams as the monitor hands them over.
/// -1 means /dev/null. With `tty`, all three are the same pty slave.
public struct ProcessStdio: Sendable {
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    public var tty: Bool

    public init(stdin: Int32, stdout: Int32, stderr: Int32, tty: Bool) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }
}

/// A started container process.
public struct StartedProcess: Sendable {
    public var pid: Int32
    /// -1 when pidfds are unavailable.
    public var pidfd: Int32
}

/// Why a container process could not be started, with Docker's exit code:
/// 127 command not found, 126 cannot execute, 125 anything else.
public struct StartFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var exitCode: Int32
    public var message: String

    public init(exitCode: Int32, message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    public var description: String { message }

    /// The failure for an exec errno, worded like Docker's.
    public static func exec(_ command: String, errno e: Int32) -> StartFailure {
        switch e {
        case ENOENT where !command.contains("/"):
            return StartFailure(exitCode: 127, message: "exec: \"\(command)\": executable file not found in $PATH")
        case ENOENT, ENOTDIR:
            return StartFailure(exitCode: 127, message: "exec: \"\(command)\": stat \(command): no such file or directory")
        case EACCES, ENOEXEC, EISDIR, EPERM:
            return StartFailure(exitCode: 126, message: "exec: \"\(command)\": permission denied")
        default:
            return StartFailure(exitCode: 126, message: "exec: \"\(command)\": \(SystemError.name(of: e))")
        }
    }
}

/// The one place where the monitor starts the container's process. The
/// monitor never creates namespaces or mounts itself; swapping the
/// implementation (the interim one below, or the runtime core's Launcher)
/// changes nothing else.
public protocol ContainerStarter {
    func start(_ record: ContainerRecord, stdio: ProcessStdio) throws(StartFailure) -> StartedProcess
}

/// Interim starter until the runtime core's `Launcher.spawn` is wired in:
/// new mount/PID/UTS/IPC/network namespaces (loopback up, nothing else),
/// the record's bind and tmpfs mounts, pivot_root into `rootfs`, /proc,
/// numeric `uid[:gid]`, then exec. No cgroups, capabilities or seccomp.
public struct InterimStarter: ContainerStarter {
    public init() {}

    public func start(_ record: ContainerRecord, stdio: ProcessStdio) throws(StartFailure) -> StartedProcess {
        let p = record.process
        guard let command = p.args.first else {
            throw StartFailure(exitCode: 125, message: "no command specified")
        }
        let (uid, gid) = InterimStarter.numericUser(p.user, rootfs: record.rootfs)
        guard let uid, let gid else {
            throw StartFailure(exitCode: 125, message: "unable to find user \(p.user): no matching entries in passwd file")
        }
        var errPipe: [Int32] = [-1, -1]
        guard cm_pipe(&errPipe, 0) == 0 else {
            throw StartFailure(exitCode: 125, message: SystemError.current("pipe2").description)
        }
        var owned: [UnsafeMutablePointer<CChar>?] = []
        func dup(_ s: String) -> UnsafePointer<CChar>? {
            let c = strdup(s)
            owned.append(c)
            return UnsafePointer(c)
        }
        defer { for c in owned { free(c) } }
        let argv = p.args.map(dup) + [nil]
        let envp = p.env.map(dup) + [nil]
        let mounts: [cm_mount] = record.host.mounts.map { m in
            cm_mount(source: m.type == "tmpfs" ? nil : dup(m.hostPath), destination: dup(m.destination),
                     fstype: m.type == "tmpfs" ? dup("tmpfs") : nil,
                     data: m.type == "tmpfs" ? dup(m.options.joined(separator: ",")) : nil,
                     readonly: m.readOnly ? 1 : 0)
        }
        let hostname = record.host.hostname.isEmpty ? record.shortID : record.host.hostname
        let pid: pid_t = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                mounts.withUnsafeBufferPointer { m in
                    var req = cm_spawn_request(
                        rootfs: dup(record.rootfs), argv: a.baseAddress, envp: e.baseAddress, cwd: dup(p.cwd),
                        hostname: dup(hostname), uid: uid, gid: gid, stdin_fd: stdio.stdin, stdout_fd: stdio.stdout,
                        stderr_fd: stdio.stderr, tty: stdio.tty ? 1 : 0, readonly_rootfs: record.host.readOnlyRootfs ? 1 : 0,
                        mounts: m.baseAddress, mount_count: Int32(m.count), error_fd: errPipe[1])
                    return cm_spawn_container(&req)
                }
            }
        }
        let spawnErrno = errno
        close(errPipe[1])
        defer { close(errPipe[0]) }
        if pid < 0 {
            throw StartFailure(exitCode: 125, message: SystemError("clone", record.name, errno: spawnErrno).description)
        }
        var msg: (Int32, Int32) = (0, 0)
        var n: Int
        repeat { n = read(errPipe[0], &msg, MemoryLayout<(Int32, Int32)>.size) } while n < 0 && errno == EINTR
        if n <= 0 {
            return StartedProcess(pid: pid, pidfd: cm_pidfd_open(pid))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if msg.0 == Int32(CM_STEP_EXEC.rawValue) { throw StartFailure.exec(command, errno: msg.1) }
        throw StartFailure(exitCode: 125, message: "container setup failed at \(InterimStarter.stepName(msg.0)): \(SystemError.name(of: msg.1)) (\(String(cString: strerror(msg.1))))")
    }

    static func stepName(_ step: Int32) -> String {
        switch UInt32(step) {
        case CM_STEP_SETSID.rawValue: return "setsid"
        case CM_STEP_TTY.rawValue: return "TIOCSCTTY"
        case CM_STEP_STDIO.rawValue: return "dup2 stdio"
        case CM_STEP_MOUNT_PRIVATE.rawValue: return "mount / MS_REC|MS_PRIVATE"
        case CM_STEP_ROOT_BIND.rawValue: return "bind mount rootfs"
        case CM_STEP_MOUNT.rawValue: return "mount"
        case CM_STEP_PROC.rawValue: return "mount proc"
        case CM_STEP_PIVOT.rawValue: return "pivot_root"
        case CM_STEP_HOSTNAME.rawValue: return "sethostname"
        case CM_STEP_CWD.rawValue: return "chdir to working directory"
        case CM_STEP_SETGID.rawValue: return "setgid"
        case CM_STEP_SETUID.rawValue: return "setuid"
        default: return "step \(step)"
        }
    }

    /// `uid[:gid]` numerically, or a user name looked up in the
    /// container's own /etc/passwd. Empty means root.
    static func numericUser(_ spec: String, rootfs: String) -> (UInt32?, UInt32?) {
        if spec.isEmpty { return (0, 0) }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let passwd = (try? StateFile.readText(rootfs + "/etc/passwd")) ?? nil
        var uid: UInt32?
        var gid: UInt32?
        if let u = UInt32(parts[0]) {
            uid = u
            gid = 0
            for line in (passwd ?? "").split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 3, UInt32(f[2]) == u { gid = UInt32(f[3]) }
            }
        } else {
            for line in (passwd ?? "").split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 3, f[0] == parts[0] { uid = UInt32(f[2]); gid = UInt32(f[3]) }
            }
        }
        if parts.count == 2 {
            if let g = UInt32(parts[1]) { gid = g } else {
                let group = (try? StateFile.readText(rootfs + "/etc/group")) ?? nil
                gid = nil
                for line in (group ?? "").split(separator: "\n") {
                    let f = line.split(separator: ":", omittingEmptySubsequences: false)
                    if f.count > 2, f[0] == parts[1] { gid = UInt32(f[2]) }
                }
            }
        }
        return (uid, gid)
    }
}
