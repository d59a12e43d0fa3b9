import CRuntime
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// How a new container process enters its cgroup without the parent
/// writing its pid into `cgroup.procs`: that write takes the kernel's
/// global threadgroup lock, whose first writer waits for an RCU grace
/// period (about 10 ms per start here, the same for crun and runc).
/// Instead clone3(CLONE_INTO_CGROUP) starts the child in the v2 leaf, and
/// the child writes "0" (itself, a single thread) into every v1 leaf's
/// `tasks` file, which moves it without that lock (CRuntime's
/// `brt_join_cgroups`). `finish` covers what the kernel could not do.
/// A fake hierarchy (tests) opens nothing: `finish` writes the pid as before.
final class CgroupJoin {
    let cgroup: Cgroup
    /// v1 `tasks` files, opened for writing (close-on-exec, above stdio).
    private(set) var taskFDs: [Int32] = []
    private(set) var taskPaths: [String] = []
    /// The v2 leaf directory (O_PATH would not do for CLONE_INTO_CGROUP), or -1.
    private(set) var v2Directory: Int32 = -1

    init(_ cgroup: Cgroup) throws {
        self.cgroup = cgroup
        guard !cgroup.hierarchy.createsFiles else { return }
        do {
            for leaf in cgroup.v1Paths.values.sorted() where !taskPaths.contains("\(leaf)/tasks") {
                let path = "\(leaf)/tasks"
                taskFDs.append(try CgroupJoin.openAboveStdio(path, O_WRONLY))
                taskPaths.append(path)
            }
            if let leaf = cgroup.v2Path { v2Directory = try CgroupJoin.openAboveStdio(leaf, O_RDONLY | O_DIRECTORY) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Points `cfg` at the descriptors (they and `arena` must outlive the clone).
    func configure(_ cfg: inout brt_config, arena: CArena) {
        cfg.cgroup_task_fds = UnsafePointer(arena.array(taskFDs))
        cfg.cgroup_task_paths = arena.constStringArray(taskPaths)
        cfg.ncgroup_tasks = Int32(taskFDs.count)
        cfg.cgroup_clone = v2Directory >= 0 ? 1 : 0
        cfg.cgroup_dir_fd = v2Directory
    }

    /// Closes the parent's copies (the child has its own after clone).
    func close() {
        for fd in taskFDs { _ = Glibc.close(fd) }
        taskFDs = []
        if v2Directory >= 0 { _ = Glibc.close(v2Directory) }
        v2Directory = -1
    }

    /// After clone: the parent writes `pid` where the child could not get
    /// itself — the v2 leaf when clone3 could not place it, every leaf of a
    /// fake hierarchy.
    func finish(pid: Int32, clonedIntoV2: Bool) throws {
        if cgroup.hierarchy.createsFiles { return try cgroup.add(pid: pid) }
        if let leaf = cgroup.v2Path, !clonedIntoV2 {
            try Sys.writeFile("\(leaf)/cgroup.procs", "\(pid)")
        }
    }

    private static func openAboveStdio(_ path: String, _ flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        if fd < 0 { throw SystemError.current("open", path) }
        if fd > 2 { return fd }
        // The child dup2s its stdio onto 0-2 after joining; keep these apart.
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        let e = errno
        _ = Glibc.close(fd)
        if moved < 0 { throw SystemError("fcntl F_DUPFD_CLOEXEC", path, errno: e) }
        return moved
    }
}
