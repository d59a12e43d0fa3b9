// The container's side of the clone: everything from the start byte to
// execve. Only async-signal-safe system calls; no allocation, no stdio.
// Ordering rules (security):
//   - mount targets are opened with openat2(RESOLVE_IN_ROOT) and mounted onto
//     /proc/self/fd/N, so a symlink in the image can never redirect a mount to
//     the host;
//   - masks and read-only paths come after every other mount (nothing may be
//     mounted over them later) and before pivot_root;
//   - /dev/null used for masking is verified to be the char device 1:3;
//   - the bounding set is dropped while CAP_SETPCAP is still held, then the
//     identity changes, then capsets are set, ambient cleared;
//   - seccomp is last (with no_new_privs) or, without no_new_privs, loaded
//     while CAP_SYS_ADMIN is still effective, right before the identity change;
//   - all fds but 0-2 and the close-on-exec report pipe are closed before the
//     working directory is resolved (no leaked host fd can be a cwd).
#define _GNU_SOURCE
#include "cruntime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <grp.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/uio.h>

#include "internal.h"

// ---------------------------------------------------------------- reporting

static void copy_path(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    if (src) {
        for (; src[i] && i + 1 < cap; i++) dst[i] = src[i];
    }
    dst[i] = 0;
}

_Noreturn void brt_fail(int report_fd, int step, int err, const char *path) {
    struct brt_report r;
    memset(&r, 0, sizeof r);
    r.kind = 0;
    r.step = step;
    r.err = err;
    copy_path(r.path, sizeof r.path, path);
    ssize_t n;
    do { n = write(report_fd, &r, sizeof r); } while (n < 0 && errno == EINTR);
    _exit(1);
}

// "/proc/self/fd/N" into buf (at least 32 bytes).
void brt_fd_path(char *buf, int fd) {
    const char *prefix = "/proc/self/fd/";
    size_t i = 0;
    for (; prefix[i]; i++) buf[i] = prefix[i];
    char digits[16];
    int n = 0;
    unsigned v = (unsigned)fd;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 15);
    while (n) buf[i++] = digits[--n];
    buf[i] = 0;
}

// Where keep_only_stdio_and_report puts the console socket and the
// detached overlay.
#define CONSOLE_SOCKET_FD 4
#define OVERLAY_FD 5

// ---------------------------------------------------------------- syscalls

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
    struct brt_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = 0;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static int sys_open_tree(int dirfd, const char *path, unsigned flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static int sys_move_mount(int from_fd, const char *from, int to_fd, const char *to, unsigned flags) {
    return (int)syscall(SYS_move_mount, from_fd, from, to_fd, to, flags);
}

static int sys_mount_setattr(int fd, const char *path, unsigned flags, uint64_t set, uint64_t clr,
                             uint64_t propagation) {
    struct brt_mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = set;
    a.attr_clr = clr;
    a.propagation = propagation;
    return (int)syscall(SYS_mount_setattr, fd, path, flags, &a, sizeof a);
}

int brt_resolve(int rootfd, const char *path, int oflags) {
    return sys_openat2(rootfd, path, (uint64_t)(O_PATH | O_CLOEXEC | oflags),
                       RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_);
}

// Opens `path` inside the root (O_PATH), creating missing directories (and the
// last component as an empty file when `last_is_file`). Every component is
// created with mkdirat/openat(O_EXCL|O_NOFOLLOW) in a parent that was itself
// resolved inside the root, so creation never leaves the root either. A
// dangling symlink is followed (its text re-read with readlinkat and resolved
// again inside the root), as runc and Docker create volume targets.
static int resolve_create_depth(int rootfd, const char *path, int last_is_file, int depth);

// The usual case of resolve_create_depth: only the last component is
// missing (a mount point in a directory of the image or of berth's own
// tmpfs, such as /sys/fs/cgroup/<controller>). Its parent is resolved once
// and the component made in it: four system calls instead of one open per
// component of the path. Returns -1 without a descriptor whenever that does
// not apply (a missing parent, a dangling symlink at the end: EEXIST), and
// the component-by-component walk below decides.
static int create_in_parent(int rootfd, const char *path, int last_is_file) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t nlen = len - start;
    char parent[4096], name[256];
    if (nlen == 0 || nlen >= sizeof name || start >= sizeof parent) return -1;
    memcpy(name, path + start, nlen);
    name[nlen] = 0;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return -1;
    memcpy(parent, path, start);
    parent[start] = 0;
    int pfd = brt_resolve(rootfd, start == 0 ? "/" : parent, O_DIRECTORY);
    if (pfd < 0) return -1;
    int rc;
    if (last_is_file) {
        int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        rc = f < 0 ? -1 : 0;
        if (f >= 0) close(f);
    } else {
        rc = mkdirat(pfd, name, 0755);
    }
    close(pfd);
    if (rc < 0) return -1;
    return brt_resolve(rootfd, path, 0);
}

static int resolve_create_depth(int rootfd, const char *path, int last_is_file, int depth) {
    int fd = brt_resolve(rootfd, path, 0);
    if (fd >= 0 || errno != ENOENT) return fd;
    if (depth > 40) { errno = ELOOP; return -1; }
    fd = create_in_parent(rootfd, path, last_is_file);
    if (fd >= 0) return fd;

    char partial[4096];
    size_t len = strlen(path);
    if (len >= sizeof partial) { errno = ENAMETOOLONG; return -1; }
    size_t i = 0;
    while (i < len) {
        while (i < len && path[i] == '/') i++;
        if (i >= len) break;
        size_t start = i;
        while (i < len && path[i] != '/') i++;
        size_t j = i;
        while (j < len && path[j] == '/') j++;
        int last = j >= len;
        memcpy(partial, path, i);
        partial[i] = 0;
        int probe = brt_resolve(rootfd, partial, 0);
        if (probe >= 0) { close(probe); continue; }
        if (errno != ENOENT) return -1;
        char parent[4096];
        memcpy(parent, path, start);
        parent[start] = 0;
        int pfd = brt_resolve(rootfd, start == 0 ? "/" : parent, O_DIRECTORY);
        if (pfd < 0) return -1;
        char name[256];
        size_t nlen = i - start;
        if (nlen >= sizeof name) { close(pfd); errno = ENAMETOOLONG; return -1; }
        memcpy(name, path + start, nlen);
        name[nlen] = 0;
        int rc;
        if (last && last_is_file) {
            int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            rc = f < 0 ? -1 : 0;
            if (f >= 0) close(f);
        } else {
            rc = mkdirat(pfd, name, 0755);
        }
        int saved = errno;
        if (rc < 0 && saved == EEXIST) {
            // Exists but does not resolve: a dangling symlink. Follow its text.
            char link[4096];
            ssize_t n = readlinkat(pfd, name, link, sizeof link - 1);
            close(pfd);
            if (n < 0) { errno = ENOENT; return -1; }
            link[n] = 0;
            char next[4096];
            size_t k = 0;
            if (link[0] != '/') {          // relative to the symlink's directory
                if (start + 1 >= sizeof next) { errno = ENAMETOOLONG; return -1; }
                memcpy(next, path, start);
                k = start;
                if (k == 0) next[k++] = '/';
            }
            size_t rest = len - i;
            if (k + (size_t)n + rest + 1 >= sizeof next) { errno = ENAMETOOLONG; return -1; }
            memcpy(next + k, link, (size_t)n);
            k += (size_t)n;
            memcpy(next + k, path + i, rest);
            next[k + rest] = 0;
            return resolve_create_depth(rootfd, next, last_is_file, depth + 1);
        }
        close(pfd);
        if (rc < 0) { errno = saved; return -1; }
    }
    return brt_resolve(rootfd, path, 0);
}

int brt_resolve_create(int rootfd, const char *path, int last_is_file) {
    return resolve_create_depth(rootfd, path, last_is_file, 0);
}

// ---------------------------------------------------------------- mounts

// Binds the tree at `srcfd` onto `dstfd` with MOUNT_ATTR_* `attr`.
static int bind_fd(int srcfd, int dstfd, int recursive, uint64_t attr, unsigned long propagation) {
    unsigned rec = recursive ? AT_RECURSIVE_ : 0;
    int tree = sys_open_tree(srcfd, "", OPEN_TREE_CLONE_ | O_CLOEXEC | AT_EMPTY_PATH | rec);
    if (tree < 0) return -1;
    if (attr && sys_mount_setattr(tree, "", AT_EMPTY_PATH | rec, attr, 0, 0) < 0) {
        int e = errno; close(tree); errno = e; return -1;
    }
    if (sys_move_mount(tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH_ | MOVE_MOUNT_T_EMPTY_PATH_) < 0) {
        int e = errno; close(tree); errno = e; return -1;
    }
    if (propagation) {
        char p[32];
        brt_fd_path(p, tree);
        if (mount(NULL, p, NULL, propagation | (recursive ? MS_REC : 0), NULL) < 0) {
            int e = errno; close(tree); errno = e; return -1;
        }
    }
    close(tree);
    return 0;
}

// A target that resolves to the container's root itself (e.g. a symlink to
// "/" or "../../..") is refused: a mount there would hide under pivot_root.
static int is_root(int rootfd, const struct stat *st) {
    struct stat r;
    if (fstat(rootfd, &r) < 0) return 0;
    return r.st_dev == st->st_dev && r.st_ino == st->st_ino;
}

static void apply_mount(const struct brt_config *cfg, int rootfd, const struct brt_mount *m, int rfd) {
    if (m->kind == BRT_MOUNT_BIND) {
        int src = open(m->source, O_PATH | O_CLOEXEC);
        if (src < 0) brt_fail(rfd, BRT_STEP_MOUNT, errno, m->source);
        struct stat st;
        if (fstat(src, &st) < 0) brt_fail(rfd, BRT_STEP_MOUNT, errno, m->source);
        int dst = brt_resolve_create(rootfd, m->target, !S_ISDIR(st.st_mode));
        if (dst < 0) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, errno, m->target);
        struct stat dt;
        if (fstat(dst, &dt) < 0) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, errno, m->target);
        if (is_root(rootfd, &dt)) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, EBUSY, m->target);
        if (S_ISDIR(st.st_mode) != S_ISDIR(dt.st_mode))
            brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, S_ISDIR(st.st_mode) ? ENOTDIR : EISDIR, m->target);
        if (bind_fd(src, dst, m->recursive, m->attr, m->propagation) < 0)
            brt_fail(rfd, BRT_STEP_MOUNT, errno, m->target);
        close(src);
        close(dst);
    } else if (m->kind == BRT_MOUNT_SETATTR) {
        int dst = brt_resolve(rootfd, m->target, O_DIRECTORY);
        if (dst < 0) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, errno, m->target);
        if (sys_mount_setattr(dst, "", AT_EMPTY_PATH, m->attr, 0, 0) < 0) brt_fail(rfd, BRT_STEP_MOUNT, errno, m->target);
        close(dst);
    } else {
        int dst = brt_resolve_create(rootfd, m->target, 0);
        if (dst < 0) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, errno, m->target);
        struct stat dt;
        if (fstat(dst, &dt) < 0) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, errno, m->target);
        if (is_root(rootfd, &dt)) brt_fail(rfd, BRT_STEP_MOUNT_RESOLVE, EBUSY, m->target);
        char p[32];
        brt_fd_path(p, dst);
        if (mount(m->source, p, m->fstype, m->flags, m->data) < 0)
            brt_fail(rfd, BRT_STEP_MOUNT, errno, m->target);
        close(dst);
    }
    (void)cfg;
}

static void make_node(int devfd, const char *name, unsigned maj, unsigned min, int rfd) {
    if (mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) < 0)
        brt_fail(rfd, BRT_STEP_DEV, errno, name);
    if (fchmodat(devfd, name, 0666, 0) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, name);
}

static void setup_dev(const struct brt_config *cfg, int rootfd, int rfd) {
    int dev = brt_resolve_create(rootfd, "/dev", 0);
    if (dev < 0) brt_fail(rfd, BRT_STEP_DEV, errno, "/dev");
    char p[32];
    brt_fd_path(p, dev);
    if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
        brt_fail(rfd, BRT_STEP_DEV, errno, "/dev");
    close(dev);
    // Re-open: the fd above names the directory under the new tmpfs.
    dev = sys_openat2(rootfd, "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT_ | RESOLVE_NO_SYMLINKS_);
    if (dev < 0) brt_fail(rfd, BRT_STEP_DEV, errno, "/dev");
    make_node(dev, "null", 1, 3, rfd);
    make_node(dev, "zero", 1, 5, rfd);
    make_node(dev, "full", 1, 7, rfd);
    make_node(dev, "random", 1, 8, rfd);
    make_node(dev, "urandom", 1, 9, rfd);
    make_node(dev, "tty", 5, 0, rfd);
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (symlinkat(links[i][0], dev, links[i][1]) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, links[i][1]);
    }
    static const char *const dirs[] = {"pts", "shm", "mqueue"};
    for (size_t i = 0; i < 3; i++) {
        if (mkdirat(dev, dirs[i], 0755) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, dirs[i]);
    }
    int sub = openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/pts");
    brt_fd_path(p, sub);
    if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
        brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/pts");
    close(sub);
    sub = openat(dev, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/shm");
    brt_fd_path(p, sub);
    if (mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              cfg->dev_shm_data ? cfg->dev_shm_data : "mode=1777,size=65536k") < 0)
        brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/shm");
    close(sub);
    sub = openat(dev, "mqueue", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/mqueue");
    brt_fd_path(p, sub);
    if (mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        brt_fail(rfd, BRT_STEP_DEV, errno, "/dev/mqueue");
    close(sub);
    close(dev);
}

// `--device` nodes, after the mounts (a volume on /dev would hide them
// otherwise), resolved inside the root like mount targets.
static void create_devices(const struct brt_config *cfg, int rootfd, int rfd) {
    for (int i = 0; i < cfg->ndevices; i++) {
        const struct brt_device *d = &cfg->devices[i];
        size_t len = strlen(d->path);
        char parent[4096];
        if (len >= sizeof parent || len < 2 || d->path[0] != '/') brt_fail(rfd, BRT_STEP_DEV, EINVAL, d->path);
        size_t slash = len;
        while (slash > 0 && d->path[slash - 1] != '/') slash--;
        const char *name = d->path + slash;
        if (!*name) brt_fail(rfd, BRT_STEP_DEV, EINVAL, d->path);
        memcpy(parent, d->path, slash);
        parent[slash] = 0;
        int pfd = brt_resolve_create(rootfd, slash <= 1 ? "/" : parent, 0);
        if (pfd < 0) brt_fail(rfd, BRT_STEP_DEV, errno, d->path);
        if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT) brt_fail(rfd, BRT_STEP_DEV, errno, d->path);
        if (mknodat(pfd, name, d->mode, makedev(d->major, d->minor)) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, d->path);
        if (fchownat(pfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, d->path);
        if (fchmodat(pfd, name, d->mode & 07777, 0) < 0) brt_fail(rfd, BRT_STEP_DEV, errno, d->path);
        close(pfd);
    }
}

static void write_sysctls(const struct brt_config *cfg, int rootfd, int rfd) {
    for (int i = 0; i < cfg->nsysctls; i++) {
        char path[512];
        const char *prefix = "/proc/sys/";
        size_t n = 0;
        for (; prefix[n]; n++) path[n] = prefix[n];
        const char *k = cfg->sysctl_keys[i];
        size_t klen = strlen(k);
        if (n + klen + 1 > sizeof path) brt_fail(rfd, BRT_STEP_SYSCTL, ENAMETOOLONG, k);
        memcpy(path + n, k, klen + 1);
        int fd = sys_openat2(rootfd, path, O_WRONLY | O_CLOEXEC, RESOLVE_IN_ROOT_ | RESOLVE_NO_SYMLINKS_);
        if (fd < 0) brt_fail(rfd, BRT_STEP_SYSCTL, errno, path);
        const char *v = cfg->sysctl_values[i];
        size_t vlen = strlen(v);
        ssize_t w;
        do { w = write(fd, v, vlen); } while (w < 0 && errno == EINTR);
        if (w < 0) brt_fail(rfd, BRT_STEP_SYSCTL, errno, path);
        close(fd);
    }
}

static void apply_masks(const struct brt_config *cfg, int rootfd, int rfd) {
    int devnull = -1;
    for (int i = 0; i < cfg->nmasked; i++) {
        const char *path = cfg->masked_paths[i];
        int fd = sys_openat2(rootfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_IN_ROOT_ | RESOLVE_NO_SYMLINKS_);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            brt_fail(rfd, BRT_STEP_MASK, errno, path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0) brt_fail(rfd, BRT_STEP_MASK, errno, path);
        if (S_ISDIR(st.st_mode)) {
            char p[32];
            brt_fd_path(p, fd);
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
                brt_fail(rfd, BRT_STEP_MASK, errno, path);
        } else {
            if (devnull < 0) {
                devnull = sys_openat2(rootfd, "/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                      RESOLVE_IN_ROOT_ | RESOLVE_NO_SYMLINKS_);
                if (devnull < 0) brt_fail(rfd, BRT_STEP_MASK, errno, "/dev/null");
                struct stat ns;
                if (fstat(devnull, &ns) < 0) brt_fail(rfd, BRT_STEP_MASK, errno, "/dev/null");
                // CVE-2025-31133: never mask with something that merely claims to be /dev/null.
                if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
                    brt_fail(rfd, BRT_STEP_MASK, EPERM, "/dev/null (not the char device 1:3)");
            }
            if (bind_fd(devnull, fd, 0, MOUNT_ATTR_RDONLY_, 0) < 0) brt_fail(rfd, BRT_STEP_MASK, errno, path);
        }
        close(fd);
    }
    if (devnull >= 0) close(devnull);
}

static void apply_readonly_paths(const struct brt_config *cfg, int rootfd, int rfd) {
    for (int i = 0; i < cfg->nreadonly; i++) {
        const char *path = cfg->readonly_paths[i];
        int fd = sys_openat2(rootfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_IN_ROOT_ | RESOLVE_NO_SYMLINKS_);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            brt_fail(rfd, BRT_STEP_READONLY_PATH, errno, path);
        }
        if (bind_fd(fd, fd, 1, MOUNT_ATTR_RDONLY_ | MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_ | MOUNT_ATTR_NOEXEC_, 0) < 0)
            brt_fail(rfd, BRT_STEP_READONLY_PATH, errno, path);
        close(fd);
    }
}

// Builds the container's filesystem and pivots into it.
static void setup_filesystem(const struct brt_config *cfg, int rfd) {
    unsigned long prop = cfg->root_propagation ? cfg->root_propagation : MS_SLAVE;
    if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0) brt_fail(rfd, BRT_STEP_PROPAGATION, errno, "/");
    if (cfg->overlay_attach) {
        // Made ahead by the parent (brt_overlay_fsmount); attached once.
        if (sys_move_mount(OVERLAY_FD, "", AT_FDCWD, cfg->rootfs, MOVE_MOUNT_F_EMPTY_PATH_) < 0)
            brt_fail(rfd, BRT_STEP_ROOTFS_MOUNT, errno, cfg->rootfs);
        close(OVERLAY_FD);
    } else if (cfg->overlay_data) {
        if (cfg->overlay_cwd && chdir(cfg->overlay_cwd) < 0) brt_fail(rfd, BRT_STEP_ROOTFS_MOUNT, errno, cfg->overlay_cwd);
        int r = mount("overlay", cfg->rootfs, "overlay", 0, cfg->overlay_data);
        if (r < 0 && errno == EINVAL && cfg->overlay_fallback)
            r = mount("overlay", cfg->rootfs, "overlay", 0, cfg->overlay_fallback);
        if (r < 0) brt_fail(rfd, BRT_STEP_ROOTFS_MOUNT, errno, cfg->rootfs);
    } else {
        if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND, NULL) < 0)
            brt_fail(rfd, BRT_STEP_ROOTFS_MOUNT, errno, cfg->rootfs);
    }
    int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) brt_fail(rfd, BRT_STEP_ROOTFS_OPEN, errno, cfg->rootfs);

    if (cfg->setup_dev) setup_dev(cfg, rootfd, rfd);
    for (int i = 0; i < cfg->nmounts; i++) apply_mount(cfg, rootfd, &cfg->mounts[i], rfd);
    create_devices(cfg, rootfd, rfd);
    write_sysctls(cfg, rootfd, rfd);
    apply_masks(cfg, rootfd, rfd);
    apply_readonly_paths(cfg, rootfd, rfd);
    if (cfg->cwd) {
        int w = brt_resolve_create(rootfd, cfg->cwd, 0);
        if (w < 0) brt_fail(rfd, BRT_STEP_WORKDIR, errno, cfg->cwd);
        close(w);
    }

    if (fchdir(rootfd) < 0) brt_fail(rfd, BRT_STEP_PIVOT_ROOT, errno, cfg->rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0) brt_fail(rfd, BRT_STEP_PIVOT_ROOT, errno, cfg->rootfs);
    if (umount2(".", MNT_DETACH) < 0) brt_fail(rfd, BRT_STEP_PIVOT_ROOT, errno, "old root");
    if (chdir("/") < 0) brt_fail(rfd, BRT_STEP_PIVOT_ROOT, errno, "/");
    close(rootfd);
    if (cfg->readonly_root) {
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
            brt_fail(rfd, BRT_STEP_ROOT_READONLY, errno, "/");
    }
}

// ---------------------------------------------------------------- process

static void setup_stdio(const struct brt_config *cfg, int rfd) {
    int tmp[3];
    for (int i = 0; i < 3; i++) {
        int src = cfg->tty ? -1 : cfg->stdio[i];   // a tty replaces them in setup_console
        if (src < 0) {
            src = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (src < 0) brt_fail(rfd, BRT_STEP_STDIO, errno, "/dev/null");
        }
        // Move above 2 first so that a source that is itself 0..2 is not clobbered.
        tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0) brt_fail(rfd, BRT_STEP_STDIO, errno, "stdio");
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0) brt_fail(rfd, BRT_STEP_STDIO, errno, "stdio");
    }
    for (int i = 0; i < 3; i++) close(tmp[i]);
    if (setsid() < 0) brt_fail(rfd, BRT_STEP_SETSID, errno, NULL);
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

// Sends `fd` with one byte of payload over the unix socket `sock`.
static int send_fd(int sock, int fd) {
    char byte = 'm';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

// `tty`: the terminal comes from the devpts instance of the mount namespace
// we are in now (the container's: called after pivot_root, or after
// joining its mount namespace for exec), as runc does. /dev/ptmx is the
// container's symlink to pts/ptmx; whatever it resolves to must accept the
// ptmx ioctls, and the slave is opened through the master (TIOCGPTPEER), not
// by a path the container could swap. The slave becomes the controlling
// terminal (we are a session leader without one, see setup_stdio), stdin,
// stdout, stderr and, when berth built /dev, /dev/console. The master goes
// to the parent over the console socket and is closed here, so the parent
// sees EIO once the last process holding the slave is gone.
static void setup_console(const struct brt_config *cfg, int sock, int rfd) {
    // Resolved inside our root without magic links (an exec'ed process is in
    // a namespace the container controls), non-blocking so that a FIFO put
    // there cannot hang us, and checked to be the multiplexor (5:2).
    int m = sys_openat2(AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK,
                        RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_);
    if (m < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "/dev/ptmx");
    struct stat st;
    if (fstat(m, &st) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "/dev/ptmx");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))
        brt_fail(rfd, BRT_STEP_CONSOLE, ENOTTY, "/dev/ptmx (not the pty multiplexor 5:2)");
    int fl = fcntl(m, F_GETFL);
    if (fl < 0 || fcntl(m, F_SETFL, fl & ~O_NONBLOCK) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "/dev/ptmx");
    int unlock = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "TIOCSPTLCK /dev/ptmx");
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "TIOCGPTPEER /dev/ptmx");
    if (cfg->console_rows && cfg->console_cols) {
        struct winsize ws;
        memset(&ws, 0, sizeof ws);
        ws.ws_row = cfg->console_rows;
        ws.ws_col = cfg->console_cols;
        if (ioctl(s, TIOCSWINSZ, &ws) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "TIOCSWINSZ");
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(s, i) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "dup2 pty slave");
    }
    if (ioctl(0, TIOCSCTTY, 0) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "TIOCSCTTY");
    // The process may run as another user: give it its terminal (runc's
    // fixStdioPermissions), keeping devpts's tty group.
    if (cfg->uid != 0 && fchown(s, cfg->uid, (gid_t)-1) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "chown pty slave");
    if (cfg->setup_dev && (cfg->clone_flags & CLONE_NEWNS)) {
        int f = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (f < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "/dev/console");
        close(f);
        int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "/dev/console");
        if (bind_fd(s, target, 0, 0, 0) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "bind pty onto /dev/console");
        close(target);
    }
    close(s);
    if (send_fd(sock, m) < 0) brt_fail(rfd, BRT_STEP_CONSOLE, errno, "console socket");
    close(m);
    close(sock);
}

static void load_seccomp(const struct brt_config *cfg, int rfd) {
    if (!cfg->seccomp_filter || cfg->seccomp_len == 0) return;
    struct sock_fprog prog;
    prog.len = cfg->seccomp_len;
    prog.filter = (struct sock_filter *)cfg->seccomp_filter;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        brt_fail(rfd, BRT_STEP_SECCOMP, errno, NULL);
}

static void set_identity_and_caps(const struct brt_config *cfg, int rfd) {
    for (int c = 0; c <= cfg->last_cap && c < 64; c++) {
        if (!(cfg->cap_bounding & (1ULL << c))) {
            if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                brt_fail(rfd, BRT_STEP_CAPS, errno, "PR_CAPBSET_DROP");
        }
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) brt_fail(rfd, BRT_STEP_CAPS, errno, "PR_SET_KEEPCAPS");
    if (syscall(SYS_setgroups, (size_t)cfg->ngroups, cfg->groups) < 0)
        brt_fail(rfd, BRT_STEP_SETGROUPS, errno, NULL);
    if (syscall(SYS_setresgid, cfg->gid, cfg->gid, cfg->gid) < 0) brt_fail(rfd, BRT_STEP_SETGID, errno, NULL);
    if (syscall(SYS_setresuid, cfg->uid, cfg->uid, cfg->uid) < 0) brt_fail(rfd, BRT_STEP_SETUID, errno, NULL);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) brt_fail(rfd, BRT_STEP_CAPS, errno, "PR_SET_KEEPCAPS");
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = (uint32_t)cfg->cap_effective;
    data[1].effective = (uint32_t)(cfg->cap_effective >> 32);
    data[0].permitted = (uint32_t)cfg->cap_permitted;
    data[1].permitted = (uint32_t)(cfg->cap_permitted >> 32);
    // inheritable stays 0 (CVE-2022-24769).
    if (syscall(SYS_capset, &hdr, data) < 0) brt_fail(rfd, BRT_STEP_CAPS, errno, "capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        brt_fail(rfd, BRT_STEP_CAPS, errno, "PR_CAP_AMBIENT_CLEAR_ALL");
}

// execve, retried briefly on ETXTBSY: another process forked while the file
// was open for writing (e.g. being copied) may still hold that descriptor
// for a moment.
static void exec_retrying(const char *path, const struct brt_config *cfg) {
    for (int i = 0; i < 100; i++) {
        execve(path, cfg->argv, cfg->envp);
        if (errno != ETXTBSY) return;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

// Runs `file` the way execvp would, with the container's PATH: `attempt`
// is called for each candidate; it returns only on failure (errno set).
// Candidates failing with ENOENT/ENOTDIR/EACCES are skipped; when none
// works, the report names the program (EACCES if one was found but denied).
static _Noreturn void search_path(const struct brt_config *cfg, int rfd, const char *file,
                                  void (*attempt)(const char *, const struct brt_config *)) {
    if (!file || !*file) brt_fail(rfd, BRT_STEP_EXEC, ENOENT, "");
    if (strchr(file, '/')) {
        attempt(file, cfg);
        brt_fail(rfd, BRT_STEP_EXEC, errno, file);
    }
    const char *path = cfg->path_env ? cfg->path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t flen = strlen(file);
    int last_err = ENOENT;
    int saw_eacces = 0;
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        char buf[4096];
        if (dlen + flen + 2 <= sizeof buf) {
            size_t n = 0;
            if (dlen == 0) { buf[n++] = '.'; } else { memcpy(buf, p, dlen); n = dlen; }
            buf[n++] = '/';
            memcpy(buf + n, file, flen + 1);
            attempt(buf, cfg);
            last_err = errno;
            if (last_err == EACCES) saw_eacces = 1;
            if (last_err != ENOENT && last_err != ENOTDIR && last_err != EACCES) brt_fail(rfd, BRT_STEP_EXEC, last_err, buf);
        }
        if (!end) break;
        p = end + 1;
    }
    brt_fail(rfd, BRT_STEP_EXEC, saw_eacces ? EACCES : last_err, file);
}

// The report pipe, for exec_init_for (this process's own copy).
static int init_report_fd = -1;

// With an init (argv = /dev/init -- PROGRAM ARGS…): the init is executed
// once the program is known to exist and be executable here (what execve
// would say for it: ENOENT, EACCES for a directory or a file without x;
// access() checks as the init will exec it: with the container's ids and,
// for a non-root user, no capabilities). The init then runs it with execvp
// and the same PATH.
static void exec_init_for(const char *program, const struct brt_config *cfg) {
    struct stat st;
    if (stat(program, &st) < 0) return;
    if (!S_ISREG(st.st_mode) || access(program, X_OK) < 0) { errno = EACCES; return; }
    exec_retrying(cfg->argv[0], cfg);
    // The init itself could not run: report it, not the program.
    brt_fail(init_report_fd, BRT_STEP_EXEC, errno, cfg->argv[0]);
}

static _Noreturn void do_exec(const struct brt_config *cfg, int rfd) {
    if (cfg->init_process) {
        init_report_fd = rfd;
        search_path(cfg, rfd, cfg->argv[2], exec_init_for);
    }
    search_path(cfg, rfd, cfg->argv[0], exec_retrying);
}

// The process part shared by spawn and exec: everything after namespaces and
// mounts. Never returns.
_Noreturn void brt_finish_process(const struct brt_config *cfg, int rfd) {
    for (int i = 0; i < cfg->nrlimits; i++) {
        struct rlimit rl = {cfg->rlimits[i].soft, cfg->rlimits[i].hard};
        if (setrlimit(cfg->rlimits[i].resource, &rl) < 0) brt_fail(rfd, BRT_STEP_RLIMIT, errno, NULL);
    }
    // Keep only 0-2 and the report pipe (moved to fd 3, close-on-exec).
    if (rfd != 3) {
        if (dup3(rfd, 3, O_CLOEXEC) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);
        rfd = 3;
    }
    if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);

    if (!cfg->no_new_privs) load_seccomp(cfg, rfd);
    set_identity_and_caps(cfg, rfd);
    if (cfg->cwd) {
        int w = sys_openat2(AT_FDCWD, cfg->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC,
                            RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_);
        if (w < 0) brt_fail(rfd, BRT_STEP_CHDIR, errno, cfg->cwd);
        if (fchdir(w) < 0) brt_fail(rfd, BRT_STEP_CHDIR, errno, cfg->cwd);
        close(w);
    }
    umask(cfg->umask_value);
    if (cfg->no_new_privs) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) brt_fail(rfd, BRT_STEP_NO_NEW_PRIVS, errno, NULL);
        load_seccomp(cfg, rfd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    do_exec(cfg, rfd);
}

void brt_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &sa, NULL);
    }
}

int brt_wait_start(int start_fd) {
    char b;
    ssize_t n;
    do { n = read(start_fd, &b, 1); } while (n < 0 && errno == EINTR);
    close(start_fd);
    return n == 1 ? 0 : -1;
}

// Moves this (single-threaded) process into every v1 cgroup leaf: "0" in a
// `tasks` file is the writing thread itself, which the kernel moves without
// the global threadgroup lock (see brt_config.cgroup_task_fds).
void brt_join_cgroups(const struct brt_config *cfg, int rfd) {
    for (int i = 0; i < cfg->ncgroup_tasks; i++) {
        ssize_t n;
        do { n = write(cfg->cgroup_task_fds[i], "0", 1); } while (n < 0 && errno == EINTR);
        if (n != 1) brt_fail(rfd, BRT_STEP_CGROUP, n < 0 ? errno : EIO, cfg->cgroup_task_paths[i]);
        close(cfg->cgroup_task_fds[i]);
    }
}

// Moves the report pipe to fd 3 (with a tty, the console socket to
// CONSOLE_SOCKET_FD; with a detached overlay, that to OVERLAY_FD) and
// closes every other inherited descriptor (other threads' files included)
// before any setup work. All are first moved above 9 so that none
// overwrites another.
static int keep_only_stdio_and_report(const struct brt_config *cfg, int rfd) {
    int high = fcntl(rfd, F_DUPFD_CLOEXEC, 10);
    if (high < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);
    rfd = high;
    int sock = -1, overlay = -1;
    if (cfg->tty) {
        sock = fcntl(cfg->console_socket, F_DUPFD_CLOEXEC, 10);
        if (sock < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, "console socket");
    }
    if (cfg->overlay_attach) {
        overlay = fcntl(cfg->overlay_fd, F_DUPFD_CLOEXEC, 10);
        if (overlay < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, "overlay");
    }
    if (dup3(rfd, 3, O_CLOEXEC) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);
    rfd = 3;
    if (syscall(SYS_close_range, 4U, 9U, 0U) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);
    int keep = 4;
    if (sock >= 0) {
        if (dup3(sock, CONSOLE_SOCKET_FD, O_CLOEXEC) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, "console socket");
        keep = CONSOLE_SOCKET_FD + 1;
    }
    if (overlay >= 0) {
        if (dup3(overlay, OVERLAY_FD, O_CLOEXEC) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, "overlay");
        keep = OVERLAY_FD + 1;
    }
    if (syscall(SYS_close_range, (unsigned)keep, ~0U, 0U) < 0) brt_fail(rfd, BRT_STEP_CLOSE_FDS, errno, NULL);
    return rfd;
}

// A new network namespace starts with `lo` down; Docker's `none` mode
// (and every container before berth wires its interfaces) has it up.
static void bring_loopback_up(int rfd) {
    int r = brt_loopback_up();
    if (r < 0) brt_fail(rfd, BRT_STEP_LOOPBACK, -r, "lo");
}

_Noreturn void brt_child_main(const struct brt_config *cfg, int rfd, int start_fd) {
    // Until execve this process is a copy of berth's binary: make it
    // non-dumpable so no container process can open /proc/PID/exe (and write
    // through it to the host binary, CVE-2019-5736) or ptrace it. execve of
    // the container's program resets this.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    brt_reset_signals();
    if (brt_wait_start(start_fd) < 0) _exit(1);  // parent gave up: leave silently
    brt_join_cgroups(cfg, rfd);
    if (cfg->net_ns_join) {
        if (setns(cfg->net_ns_fd, CLONE_NEWNET) < 0) brt_fail(rfd, BRT_STEP_SETNS, errno, "network namespace");
        close(cfg->net_ns_fd);
    }
    umask(0);
    setup_stdio(cfg, rfd);
    rfd = keep_only_stdio_and_report(cfg, rfd);
    for (int i = 0; i < cfg->njoins; i++) {
        int fd = open(cfg->joins[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) brt_fail(rfd, BRT_STEP_SETNS, errno, cfg->joins[i].path);
        if (setns(fd, cfg->joins[i].nstype) < 0) brt_fail(rfd, BRT_STEP_SETNS, errno, cfg->joins[i].path);
        close(fd);
    }
    if (cfg->clone_flags & CLONE_NEWNET) bring_loopback_up(rfd);
    if (cfg->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) brt_fail(rfd, BRT_STEP_UNSHARE_CGROUP, errno, NULL);
    if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
        brt_fail(rfd, BRT_STEP_HOSTNAME, errno, cfg->hostname);
    if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
        brt_fail(rfd, BRT_STEP_DOMAINNAME, errno, cfg->domainname);
    if ((cfg->clone_flags & CLONE_NEWNS) && cfg->rootfs) setup_filesystem(cfg, rfd);
    if (cfg->tty) setup_console(cfg, CONSOLE_SOCKET_FD, rfd);
    brt_finish_process(cfg, rfd);
}

// `exec` into a running container: join its namespaces (the caller orders
// them, mnt last), then fork the real process with CLONE_PARENT so that it is
// the caller's child and lives in the container's pid namespace (setns(pid)
// only affects children). Reports the new pid, then exits.
_Noreturn void brt_exec_child_main(const struct brt_config *cfg, int rfd, int start_fd, const int *ns_fds,
                                   const int *ns_types, int nns) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);   // see brt_child_main; inherited by the forked process
    brt_reset_signals();
    if (brt_wait_start(start_fd) < 0) _exit(1);
    brt_join_cgroups(cfg, rfd);   // before setns: the forked process inherits them
    for (int i = 0; i < nns; i++) {
        if (setns(ns_fds[i], ns_types[i]) < 0) brt_fail(rfd, BRT_STEP_SETNS, errno, "namespace");
    }
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, 0, 0, 0);
    if (pid < 0) brt_fail(rfd, BRT_STEP_FORK, errno, NULL);
    if (pid == 0) {
        umask(0);
        setup_stdio(cfg, rfd);
        rfd = keep_only_stdio_and_report(cfg, rfd);
        if (cfg->tty) setup_console(cfg, CONSOLE_SOCKET_FD, rfd);
        brt_finish_process(cfg, rfd);
    }
    struct brt_report r;
    memset(&r, 0, sizeof r);
    r.kind = 1;
    r.pid = (int32_t)pid;
    ssize_t n;
    do { n = write(rfd, &r, sizeof r); } while (n < 0 && errno == EINTR);
    _exit(0);
}
