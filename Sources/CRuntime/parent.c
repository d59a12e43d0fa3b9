// The parent's side: pipes, clone3 (CLONE_PIDFD when available), release and
// report reading. Called from Swift; the child branch never returns here.
#define _GNU_SOURCE
#include "cruntime.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// With `cgroup_fd` >= 0 the child starts in that v2 cgroup
// (CLONE_INTO_CGROUP, Linux 5.7); when the kernel refuses, it clones without
// and leaves *placed at 0 so that the caller moves the pid itself.
static pid_t clone_process(uint64_t flags, int *pidfd, int cgroup_fd, int *placed) {
    struct brt_clone_args a;
    memset(&a, 0, sizeof a);
    *pidfd = -1;
    *placed = 0;
    a.flags = flags | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    a.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        struct brt_clone_args into = a;
        into.flags |= CLONE_INTO_CGROUP_;
        into.cgroup = (uint64_t)cgroup_fd;
        long r = syscall(SYS_clone3, &into, sizeof into);
        if (r >= 0) {
            *placed = 1;
            return (pid_t)r;
        }
        *pidfd = -1;
    }
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r < 0 && (errno == ENOSYS || errno == E2BIG)) {
        *pidfd = -1;
        r = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
    }
    return (pid_t)r;
}

// Keeps a descriptor above 2: a caller running with stdin/stdout closed
// (a daemonized monitor) would otherwise get 0..2 here, which the child
// overwrites with the container's stdio.
static int above_stdio(int fd) {
    if (fd < 0 || fd > 2) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return moved;
}

// The report channel is a pipe (EOF when execve closes the child's end);
// the start channel is a socketpair so that releasing a child that already
// died gives EPIPE from send(MSG_NOSIGNAL) instead of SIGPIPE in the caller.
static int make_pipes(int report[2], int start[2]) {
    if (pipe2(report, O_CLOEXEC) < 0) return -errno;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, start) < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        return -e;
    }
    int *all[4] = {&report[0], &report[1], &start[0], &start[1]};
    for (int i = 0; i < 4; i++) {
        *all[i] = above_stdio(*all[i]);
        if (*all[i] < 0) {
            int e = errno;
            for (int j = 0; j < 4; j++) if (*all[j] >= 0) close(*all[j]);
            return -e;
        }
    }
    return 0;
}

int brt_clone(const struct brt_config *cfg, struct brt_child *out) {
    int report[2], start[2];
    int rc = make_pipes(report, start);
    if (rc < 0) return rc;
    int pidfd = -1, placed = 0;
    pid_t pid = clone_process(cfg->clone_flags, &pidfd, cfg->cgroup_clone ? cfg->cgroup_dir_fd : -1, &placed);
    if (pid < 0) {
        int e = errno;
        close(report[0]); close(report[1]); close(start[0]); close(start[1]);
        return -e;
    }
    if (pid == 0) {
        close(report[0]);
        close(start[1]);
        brt_child_main(cfg, report[1], start[0]);
    }
    close(report[1]);
    close(start[0]);
    out->pid = pid;
    out->pidfd = pidfd;
    out->report_fd = report[0];
    out->start_fd = start[1];
    out->cgroup_cloned = placed;
    return 0;
}

int brt_clone_exec(const struct brt_config *cfg, const int *ns_fds, const int *ns_types, int nns,
                   struct brt_child *out) {
    int report[2], start[2];
    int rc = make_pipes(report, start);
    if (rc < 0) return rc;
    int pidfd = -1, placed = 0;
    pid_t pid = clone_process(0, &pidfd, cfg->cgroup_clone ? cfg->cgroup_dir_fd : -1, &placed);
    if (pid < 0) {
        int e = errno;
        close(report[0]); close(report[1]); close(start[0]); close(start[1]);
        return -e;
    }
    if (pid == 0) {
        close(report[0]);
        close(start[1]);
        brt_exec_child_main(cfg, report[1], start[0], ns_fds, ns_types, nns);
    }
    close(report[1]);
    close(start[0]);
    out->pid = pid;
    out->pidfd = pidfd;
    out->report_fd = report[0];
    out->start_fd = start[1];
    out->cgroup_cloned = placed;
    return 0;
}

int brt_release(struct brt_child *child) {
    char b = 1;
    ssize_t n;
    do { n = send(child->start_fd, &b, 1, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    int e = errno;
    close(child->start_fd);
    child->start_fd = -1;
    return n == 1 ? 0 : -e;
}

int brt_read_report(int fd, struct brt_report *out) {
    size_t got = 0;
    char *p = (char *)out;
    while (got < sizeof *out) {
        ssize_t n = read(fd, p + got, sizeof *out - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return got == 0 ? 0 : -EPROTO;
        got += (size_t)n;
    }
    return 1;
}

int brt_recv_console(int socket_fd) {
    char byte;
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
    ssize_t n;
    do { n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int))) {
        return n == 0 ? -EPIPE : -EPROTO;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}
