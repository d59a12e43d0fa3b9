#define _GNU_SOURCE
#include "cmonitor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int signal_pipe_fd = -1;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (signal_pipe_fd >= 0) { ssize_t r = write(signal_pipe_fd, &b, 1); (void)r; }
    errno = saved;
}

int cm_install_signal_pipe(const int *signals, int count, int pipe_write_fd) {
    signal_pipe_fd = pipe_write_fd;
    for (int i = 0; i < count; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART | (signals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
        sigemptyset(&sa.sa_mask);
        if (sigaction(signals[i], &sa, NULL) != 0) return -1;
    }
    return 0;
}

int cm_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int cm_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cm_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int cm_pipe(int fds[2], int nonblock) { return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)); }

int cm_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int cm_open_pty(int *master, int *slave, unsigned short rows, unsigned short cols) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    char name[128];
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, sizeof name) != 0) { close(m); return -1; }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) { close(m); return -1; }
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    ioctl(s, TIOCSWINSZ, &ws);
    *master = m;
    *slave = s;
    return 0;
}

int cm_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int cm_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int cm_termios_size(void) { return (int)sizeof(struct termios); }

int cm_make_raw(int fd, void *saved) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    memcpy(saved, &t, sizeof t);
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

int cm_restore_termios(int fd, const void *saved) { return tcsetattr(fd, TCSANOW, (const struct termios *)saved); }

pid_t cm_spawn_detached(const char *path, char *const argv[], char *const envp[], int ready_fd) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&fa);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (ready_fd >= 0) posix_spawn_file_actions_adddup2(&fa, ready_fd, 3);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}

// ---- interim starter: everything below runs in the cloned child ----

static void fail(int fd, int step) {
    int msg[2] = {step, errno};
    ssize_t r = write(fd, msg, sizeof msg);
    (void)r;
    _exit(127);
}

static int mkdir_p(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(path, 0755) != 0 && errno != EEXIST) { *p = '/'; return -1; }
            *p = '/';
        }
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

static const char *env_path(const char *const *envp) {
    for (; envp && *envp; envp++)
        if (strncmp(*envp, "PATH=", 5) == 0) return *envp + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// execve with a PATH search over the container's own PATH (execvpe would
// use the monitor's environment). ENOENT only if no candidate existed.
static void exec_in_path(const char *const *argv, const char *const *envp) {
    const char *file = argv[0];
    if (strchr(file, '/')) { execve(file, (char *const *)argv, (char *const *)envp); return; }
    const char *path = env_path(envp);
    int saw_eacces = 0;
    char buf[4096];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len + strlen(file) + 2 < sizeof buf) {
            memcpy(buf, path, len);
            buf[len] = '/';
            strcpy(buf + len + 1, file);
            execve(buf, (char *const *)argv, (char *const *)envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) return;
        }
        if (!end) break;
        path = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

static int child_main(const struct cm_spawn_request *req) {
    int efd = req->error_fd;
    if (setsid() < 0) fail(efd, CM_STEP_SETSID);
    int in = req->stdin_fd, out = req->stdout_fd, err = req->stderr_fd;
    int devnull = -1;
    if (in < 0 || out < 0 || err < 0) {
        devnull = open("/dev/null", O_RDWR);
        if (devnull < 0) fail(efd, CM_STEP_STDIO);
        if (in < 0) in = devnull;
        if (out < 0) out = devnull;
        if (err < 0) err = devnull;
    }
    if (req->tty && ioctl(in, TIOCSCTTY, 0) != 0) fail(efd, CM_STEP_TTY);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail(efd, CM_STEP_STDIO);
    // Nothing the monitor holds leaks into the container beyond 0-2 and the error pipe (CLOEXEC).
    for (int fd = 3; fd < 1024; fd++) if (fd != efd) close(fd);

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(efd, CM_STEP_MOUNT_PRIVATE);
    if (mount(req->rootfs, req->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) fail(efd, CM_STEP_ROOT_BIND);
    char target[4096];
    for (int i = 0; i < req->mount_count; i++) {
        const struct cm_mount *m = &req->mounts[i];
        snprintf(target, sizeof target, "%s%s", req->rootfs, m->destination);
        if (m->fstype == NULL) {
            struct stat st;
            if (stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode)) {
                int f = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (f >= 0) close(f);
            } else if (mkdir_p(target) != 0) fail(efd, CM_STEP_MOUNT);
            if (mount(m->source, target, NULL, MS_BIND | MS_REC, NULL) != 0) fail(efd, CM_STEP_MOUNT);
            if (m->readonly && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) != 0)
                fail(efd, CM_STEP_MOUNT);
        } else {
            if (mkdir_p(target) != 0) fail(efd, CM_STEP_MOUNT);
            if (mount("tmpfs", target, m->fstype, MS_NOSUID | MS_NODEV, m->data) != 0) fail(efd, CM_STEP_MOUNT);
        }
    }
    snprintf(target, sizeof target, "%s/proc", req->rootfs);
    mkdir(target, 0555);
    if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) fail(efd, CM_STEP_PROC);
    if (chdir(req->rootfs) != 0) fail(efd, CM_STEP_PIVOT);
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail(efd, CM_STEP_PIVOT);
    if (umount2(".", MNT_DETACH) != 0) fail(efd, CM_STEP_PIVOT);
    if (chdir("/") != 0) fail(efd, CM_STEP_PIVOT);
    if (req->readonly_rootfs && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
        fail(efd, CM_STEP_MOUNT);
    if (req->hostname && *req->hostname && sethostname(req->hostname, strlen(req->hostname)) != 0)
        fail(efd, CM_STEP_HOSTNAME);
    loopback_up();
    if (req->cwd && *req->cwd) {
        strncpy(target, req->cwd, sizeof target - 1);
        target[sizeof target - 1] = 0;
        if (!req->readonly_rootfs) mkdir_p(target);
        if (chdir(req->cwd) != 0) fail(efd, CM_STEP_CWD);
    }
    if (setgroups(0, NULL) != 0 && req->gid != 0) fail(efd, CM_STEP_SETGID);
    if (setgid(req->gid) != 0) fail(efd, CM_STEP_SETGID);
    if (setuid(req->uid) != 0) fail(efd, CM_STEP_SETUID);
    if (devnull > 2) close(devnull);
    exec_in_path(req->argv, req->envp);
    fail(efd, CM_STEP_EXEC);
    return 127;
}

pid_t cm_spawn_container(const struct cm_spawn_request *req) {
    // Raw clone without a new stack behaves like fork (copy-on-write), with
    // the namespaces created for the child. The child runs only the C above.
    long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0) return -1;
    if (pid == 0) _exit(child_main(req));
    return pid;
}
