// CRuntime: the only code that runs between clone and execve.
//
// Owns: cloning a container's first process (and an `exec` process) and, in
// the child, every step from namespaces to execve: mounts, pivot_root, /dev,
// masked and read-only paths, sysctls, rlimits, identity, capabilities,
// no_new_privs and seccomp. The parent fills a `brt_config` whose strings and
// arrays are all allocated BEFORE cloning; the child only reads it (its copy
// of the address space) and calls async-signal-safe system calls.
//
// Also parent-side shims Swift cannot call directly (shims.c; bpf.c: the
// cgroup v2 device filter's bpf(2) calls), never used in the child.
//
// Must never: allocate, lock, call into Swift, use stdio, resolve user names
// (NSS) or re-resolve a path string after validating it. Mount targets are
// opened with openat2(RESOLVE_IN_ROOT) and mounted onto /proc/self/fd/N.
//
// Protocol (docs/architecture.md, "Parent ↔ child protocol"):
//   1. parent: brt_clone() → child pid (+ pidfd), error pipe, start socket.
//   2. child: blocks reading the start pipe.
//   3. parent: configures its netns (and puts the pid in the cgroups the
//      child cannot join itself), then brt_release(): one byte on the start
//      pipe (closing it without the byte makes the child exit with status 1,
//      "aborted").
//   4. child: joins its cgroups (see `cgroup_task_fds`), sets everything up
//      and execs. Any failure writes one
//      `brt_report` {step, errno, path} to the close-on-exec error pipe and
//      _exit(1)s.
//   5. parent: brt_await_exec() reads the error pipe: EOF means execve
//      succeeded; a report means it failed (the child has exited).
//   With `tty`, the child opens /dev/ptmx of the container's own devpts
//   (after pivot_root, or after joining the mount namespace for exec),
//   makes the slave /dev/pts/N its controlling terminal, stdio and
//   /dev/console, and sends the master over `console_socket` before exec;
//   brt_recv_console() receives it in the parent.
#ifndef BERTH_CRUNTIME_H
#define BERTH_CRUNTIME_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Steps reported in `brt_report.step` (stable numbers; mirrored in Swift).
enum brt_step {
    BRT_STEP_NONE = 0,
    BRT_STEP_START_WAIT = 1,
    BRT_STEP_STDIO = 2,
    BRT_STEP_SETSID = 3,
    BRT_STEP_SETNS = 4,
    BRT_STEP_UNSHARE_CGROUP = 5,
    BRT_STEP_HOSTNAME = 6,
    BRT_STEP_DOMAINNAME = 7,
    BRT_STEP_PROPAGATION = 8,
    BRT_STEP_ROOTFS_MOUNT = 9,
    BRT_STEP_ROOTFS_OPEN = 10,
    BRT_STEP_MOUNT_RESOLVE = 11,
    BRT_STEP_MOUNT = 12,
    BRT_STEP_DEV = 13,
    BRT_STEP_SYSCTL = 14,
    BRT_STEP_MASK = 15,
    BRT_STEP_READONLY_PATH = 16,
    BRT_STEP_WORKDIR = 17,
    BRT_STEP_PIVOT_ROOT = 18,
    BRT_STEP_ROOT_READONLY = 19,
    BRT_STEP_RLIMIT = 20,
    BRT_STEP_SETGROUPS = 21,
    BRT_STEP_SETGID = 22,
    BRT_STEP_SETUID = 23,
    BRT_STEP_CAPS = 24,
    BRT_STEP_NO_NEW_PRIVS = 25,
    BRT_STEP_SECCOMP = 26,
    BRT_STEP_CHDIR = 27,
    BRT_STEP_CLOSE_FDS = 28,
    BRT_STEP_EXEC = 29,
    BRT_STEP_FORK = 30,
    BRT_STEP_CONSOLE = 31,
    BRT_STEP_LOOPBACK = 32,
    BRT_STEP_CGROUP = 33,
};

/// Kinds of `brt_mount`.
enum brt_mount_kind {
    /// Bind `source` (host path) onto `target`; `attr` holds MOUNT_ATTR_* bits
    /// (e.g. MOUNT_ATTR_RDONLY) and `propagation` MS_PRIVATE/MS_SLAVE/MS_SHARED
    /// (0 = leave as cloned). `recursive` binds submounts too.
    BRT_MOUNT_BIND = 1,
    /// A new filesystem: mount(`source`, target, `fstype`, `flags`, `data`).
    BRT_MOUNT_FS = 2,
    /// Set MOUNT_ATTR_* `attr` on the mount already at `target` (e.g. make a
    /// tmpfs read-only after mounting things inside it).
    BRT_MOUNT_SETATTR = 3,
};

/// One mount inside the container. `target` is an absolute path inside the
/// rootfs, resolved with RESOLVE_IN_ROOT; missing directories are created
/// (a file is created instead when `target_is_file` is set).
struct brt_mount {
    int kind;
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
    uint64_t attr;
    unsigned long propagation;
    int recursive;
    int target_is_file;
};

struct brt_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

/// A device node created inside the container after the mounts (`--device`):
/// `mode` is S_IFCHR or S_IFBLK with the permission bits; missing parent
/// directories are created; an existing non-directory at `path` is replaced.
struct brt_device {
    const char *path;           // absolute, inside the container
    unsigned int mode;
    unsigned int major;
    unsigned int minor;
    uid_t uid;
    gid_t gid;
};

/// Namespaces joined by path (e.g. /proc/PID/ns/net) instead of created.
struct brt_ns_join {
    int nstype;       // CLONE_NEWNET, …
    const char *path;
};

/// Everything the child needs. Every pointer stays valid until brt_clone
/// returns in the parent (the child works on its copy of memory).
struct brt_config {
    // process
    char *const *argv;
    char *const *envp;
    const char *path_env;       // PATH value used to find argv[0] (may be NULL)
    const char *cwd;            // inside the container; created when missing
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
    int stdio[3];               // fds dup2'ed to 0, 1, 2 (-1 = /dev/null)
    int tty;                    // allocate the terminal inside the container (see below);
                                // stdio[] is ignored then
    int console_socket;         // with tty: unix socket that receives the pty master
                                // (SCM_RIGHTS, one byte of payload), runc's console socket
    unsigned short console_rows;    // with tty: initial window size
    unsigned short console_cols;
    unsigned int umask_value;

    // namespaces
    uint64_t clone_flags;       // CLONE_NEWNS|CLONE_NEWPID|… created by clone
    int net_ns_join;            // 1: join the network namespace `net_ns_fd` (made
    int net_ns_fd;              // ahead, brt_netns_begin) first; no CLONE_NEWNET then
    int new_cgroup_ns;          // unshare(CLONE_NEWCGROUP) after cgroup placement
    const struct brt_ns_join *joins;
    int njoins;
    const char *hostname;       // NULL = leave
    const char *domainname;     // NULL = leave

    // filesystem (all only when CLONE_NEWNS is set)
    const char *rootfs;         // host directory that becomes /
    const char *overlay_data;   // non-NULL: mount overlay with this data on rootfs
    const char *overlay_cwd;    // non-NULL: chdir here first (relative lowerdir= entries)
    const char *overlay_fallback; // non-NULL: retried when overlay_data gets EINVAL (the
                                // same without `volatile`, which kernels < 5.10 refuse)
    int overlay_attach;         // 1: attach the detached overlay `overlay_fd`
    int overlay_fd;             // (brt_overlay_fsmount) on rootfs instead of
                                // mounting overlay_data
    int readonly_root;
    unsigned long root_propagation; // MS_SLAVE or MS_PRIVATE (applied MS_REC to /)
    int setup_dev;              // tmpfs /dev with the standard nodes
    const char *dev_shm_data;   // e.g. "mode=1777,size=65536k"
    const struct brt_mount *mounts;  // applied in order, before masks
    int nmounts;
    const struct brt_device *devices; // created after the mounts
    int ndevices;
    const char *const *masked_paths;
    int nmasked;
    const char *const *readonly_paths;
    int nreadonly;
    const char *const *sysctl_keys;   // "net/ipv4/ip_forward" (under /proc/sys)
    const char *const *sysctl_values;
    int nsysctls;

    // limits and privileges
    const struct brt_rlimit *rlimits;
    int nrlimits;
    uint64_t cap_bounding;
    uint64_t cap_effective;
    uint64_t cap_permitted;
    int last_cap;               // /proc/sys/kernel/cap_last_cap, read by the parent
    int no_new_privs;
    int init_process;           // argv is `INIT -- PROGRAM ARGS…` (berth-init, bind-mounted):
                                // PROGRAM (argv[2]) is looked up first, then INIT is executed
    const void *seccomp_filter; // struct sock_filter[], NULL = none
    unsigned short seccomp_len;

    // cgroup placement. The parent creates the cgroup before cloning.
    // clone3(CLONE_INTO_CGROUP) starts the child in the v2 leaf
    // `cgroup_dir_fd` (when `cgroup_clone` is set and the kernel can), and
    // the child moves itself into every v1 leaf by writing "0" to the
    // `tasks` files `cgroup_task_fds` (paths for errors in
    // `cgroup_task_paths`) right after the start byte. A thread moving
    // itself skips the global threadgroup lock that writing a pid to
    // cgroup.procs takes, whose first writer waits for an RCU grace period
    // (about 10 ms per container start).
    const int *cgroup_task_fds;
    const char *const *cgroup_task_paths;
    int ncgroup_tasks;
    int cgroup_clone;
    int cgroup_dir_fd;
};

/// What the child reports before exec. `kind` 0 = error, 1 = pid notice (exec).
struct brt_report {
    int32_t kind;
    int32_t step;
    int32_t err;
    int32_t pid;
    char path[240];
};

/// Result of a clone.
struct brt_child {
    pid_t pid;
    int pidfd;        // -1 when clone3/CLONE_PIDFD is unavailable
    int report_fd;    // read end of the error pipe (O_CLOEXEC)
    int start_fd;     // write end of the start pipe (O_CLOEXEC)
    int cgroup_cloned; // clone3 placed the child in cfg->cgroup_dir_fd
};

/// Clones the container's first process with `cfg->clone_flags`; the child
/// waits for brt_release. Returns 0 or -errno.
int brt_clone(const struct brt_config *cfg, struct brt_child *out);

/// Clones a process that joins the namespaces of `target` (fds opened by the
/// caller, `ns_fds[i]` of type `ns_types[i]`, mnt last) and then runs
/// `cfg` without creating namespaces or mounts. The first child forks the
/// real process with CLONE_PARENT so the caller is its parent, reports its
/// pid, and exits; `out->pid` is that helper, to be reaped by the caller.
int brt_clone_exec(const struct brt_config *cfg, const int *ns_fds, const int *ns_types, int nns,
                   struct brt_child *out);

/// Lets the child proceed (one byte on the start pipe) and closes it.
int brt_release(struct brt_child *child);

/// Reads one report (returns 1), or EOF (returns 0), or -errno.
int brt_read_report(int fd, struct brt_report *out);

// Thin shims for Swift (variadic syscall() and _GNU_SOURCE calls are not
// importable). Each returns the syscall's result (-1 with errno on failure).
int brt_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int brt_pipe_cloexec(int fds[2]);
int brt_pidfd_open(pid_t pid);
int brt_pidfd_send_signal(int pidfd, int sig);
int brt_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int brt_umount(const char *target, int flags);
/// Moves the calling thread into a new mount namespace whose mounts are all
/// slaves (nothing mounted there propagates back to the host); it ends with
/// the thread. Returns 0, or -1 with errno.
int brt_private_mount_ns(void);
/// Makes the overlay of mount(2)-style `data` (`lowerdir=…,upperdir=…,
/// workdir=…[,volatile]`, absolute paths) as a detached mount, attached
/// nowhere: a `brt_config.overlay_fd` for a child to attach on its rootfs.
/// Returns the descriptor (close-on-exec, above 2) or -errno; nothing is
/// left behind when it fails or when the descriptor is closed unattached.
int brt_overlay_fsmount(const char *data);
/// Work on a thread of its own, so that the caller's other preparation
/// overlaps it: `brt_job_end` waits for it and returns its result, a
/// descriptor or -errno (-ENOMEM for the NULL of a failed `_begin`).
struct brt_job;
int brt_job_end(struct brt_job *job);
/// brt_overlay_fsmount as a job (made on the caller's thread when no
/// thread can be started).
struct brt_job *brt_overlay_fsmount_begin(const char *data);
/// A new network namespace with `lo` up, made on a job's own thread (never
/// the caller's: NULL when no thread can be started): a descriptor of it
/// (close-on-exec, above 2) for `brt_config.net_ns_fd`.
struct brt_job *brt_netns_begin(void);
/// Brings `lo` of the caller's network namespace up: 0 or -errno.
int brt_loopback_up(void);
/// rename(2) that never replaces `to` (renameat2 RENAME_NOREPLACE): 0, or
/// -1 with errno (EEXIST when `to` exists).
int brt_rename_noreplace(const char *from, const char *to);
/// Receives the pty master a tty child sent over its console socket
/// (close-on-exec). Returns the fd, or -errno (-EPIPE: the child closed the
/// socket without sending one).
int brt_recv_console(int socket_fd);
/// A new pty pair: master from /dev/ptmx (unlocked), slave via TIOCGPTPEER
/// (no path lookup). Both O_CLOEXEC|O_NOCTTY. Returns 0 or -errno.
int brt_open_pty(int *master, int *slave);

#ifdef __cplusplus
}
#endif

#endif
