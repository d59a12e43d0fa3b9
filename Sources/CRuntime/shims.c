// Shims for calls Swift cannot import directly.
#define _GNU_SOURCE
#include "cruntime.h"
#include "internal.h"

#include <fcntl.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

int brt_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct brt_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int brt_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int brt_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int brt_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(424, pidfd, sig, NULL, 0);
}

int brt_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data);
}

int brt_umount(const char *target, int flags) { return umount2(target, flags); }

int brt_private_mount_ns(void) {
    // CLONE_NEWNS implies CLONE_FS: allowed in a multithreaded process, it
    // moves only the calling thread.
    if (unshare(CLONE_NEWNS) < 0) return -1;
    return mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int brt_open_pty(int *master, int *slave) {
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    int unlock = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0) { int e = errno; close(m); return -e; }
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) { int e = errno; close(m); return -e; }
    *master = m;
    *slave = s;
    return 0;
}

int brt_rename_noreplace(const char *from, const char *to) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1U /* RENAME_NOREPLACE */);
}
