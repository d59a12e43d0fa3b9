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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t clone_process(uint64_t flags, int *pidfd) {
    struct brt_clone_args a;
    memset(&a, 0, sizeof a);
    *pidfd = -1;
    a.flags = flags | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    a.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r < 0 && (errno == ENOSYS || errno == E2BIG)) {
        *pidfd = -1;
        r = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
    }
    return (pid_t)r;
}

static int make_pipes(int report[2], int start[2]) {
    if (pipe2(report, O_CLOEXEC) < 0) return -errno;
    if (pipe2(start, O_CLOEXEC) < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        return -e;
    }
    return 0;
}

int brt_clone(const struct brt_config *cfg, struct brt_child *out) {
    int report[2], start[2];
    int rc = make_pipes(report, start);
    if (rc < 0) return rc;
    int pidfd = -1;
    pid_t pid = clone_process(cfg->clone_flags, &pidfd);
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
    return 0;
}

int brt_clone_exec(const struct brt_config *cfg, const int *ns_fds, const int *ns_types, int nns,
                   struct brt_child *out) {
    int report[2], start[2];
    int rc = make_pipes(report, start);
    if (rc < 0) return rc;
    int pidfd = -1;
    pid_t pid = clone_process(0, &pidfd);
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
    return 0;
}

int brt_release(struct brt_child *child) {
    char b = 1;
    ssize_t n;
    do { n = write(child->start_fd, &b, 1); } while (n < 0 && errno == EINTR);
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
