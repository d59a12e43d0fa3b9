#define _GNU_SOURCE
#include "cmonitor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
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

/// Drops this process's resident pages in [start, end) that still are the
/// file's own page-cache pages (pagemap: present, bit 61 "file page"): a
/// private file mapping's page never written. A page written since (a
/// private copy) stays: MADV_DONTNEED would throw its content away. Nothing
/// between a page's check and its drop may write to the range: raw
/// syscalls only, errno is thread-local.
static int release_clean_pages(int pagemap, uintptr_t start, uintptr_t end, uintptr_t page) {
    uint64_t entries[256];
    int released = 0;
    for (uintptr_t addr = start; addr < end;) {
        size_t want = (end - addr) / page;
        if (want > sizeof entries / sizeof entries[0]) want = sizeof entries / sizeof entries[0];
        ssize_t got = pread(pagemap, entries, want * sizeof entries[0], (off_t)(addr / page * sizeof entries[0]));
        if (got < (ssize_t)sizeof entries[0]) break;
        size_t n = (size_t)got / sizeof entries[0];
        for (size_t i = 0; i < n;) {
            if (!((entries[i] >> 63) & 1) || !((entries[i] >> 61) & 1)) { i++; continue; }
            size_t j = i;
            while (j < n && ((entries[j] >> 63) & 1) && ((entries[j] >> 61) & 1)) j++;
            if (madvise((void *)(addr + i * page), (j - i) * page, MADV_DONTNEED) == 0) released += (int)(j - i);
            i = j;
        }
        addr += n * page;
    }
    return released;
}

int cm_release_clean_pages(void *start, size_t length) {
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) return -1;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)start / page * page;
    int released = release_clean_pages(pagemap, from, (uintptr_t)start + length, page);
    close(pagemap);
    return released;
}

int cm_release_file_pages(void) {
    // The map list is read whole first: no stdio while pages are dropped.
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t cap = 16384, len = 0;
    char *text = malloc(cap);
    for (;;) {
        if (!text) { close(fd); return -1; }
        if (len + 4096 > cap) {
            char *grown = realloc(text, cap * 2);
            if (!grown) { free(text); close(fd); return -1; }
            text = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    text[len] = 0;
    int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) { free(text); return -1; }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    // A signal handler running between a check and a drop could write.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int released = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        unsigned long start, end, offset, inode;
        char perms[8], dev[16];
        // Readable, private, file-backed mappings: text, read-only data,
        // and data not yet written.
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &start, &end, perms, &offset, dev, &inode) == 6 &&
            inode != 0 && perms[0] == 'r' && perms[3] == 'p') {
            released += release_clean_pages(pagemap, start, end, page);
        }
        line = next;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pagemap);
    free(text);
    return released;
}

int cm_release_file_pages_then_poll(struct pollfd *fds, nfds_t count, int timeout_ms) {
    cm_release_file_pages();
    return poll(fds, count, timeout_ms);
}

int cm_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cm_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int cm_pipe(int fds[2], int nonblock) { return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)); }

int cm_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int cm_signal_is_default(int sig) {
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0) return 0;
    return !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
}

int cm_reset_signal(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
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
#ifdef __GLIBC__
#if __GLIBC_PREREQ(2, 34)
    /* Nothing else: a descriptor another thread opened without
       O_CLOEXEC meanwhile (a lock file's flock) must not live on in a
       monitor. Older glibc has no closefrom here; berth opens every
       descriptor with O_CLOEXEC, so only a foreign library's could leak. */
    posix_spawn_file_actions_addclosefrom_np(&fa, ready_fd >= 0 ? 4 : 3);
#endif
#endif
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}


struct cm_spawn_job {
    pthread_t thread;
    int threaded;
    char *path;
    char **argv, **envp;
    int ready_fd;
    pid_t pid;
    int err;
};

static char **cm_copy_strings(char *const v[]) {
    size_t n = 0;
    while (v[n]) n++;
    char **out = calloc(n + 1, sizeof(char *));
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(v[i]);
        if (!out[i]) {
            for (size_t k = 0; k < i; k++) free(out[k]);
            free(out);
            return NULL;
        }
    }
    return out;
}

static void cm_free_strings(char **v) {
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

static void *cm_spawn_run(void *arg) {
    struct cm_spawn_job *job = arg;
    job->pid = cm_spawn_detached(job->path, job->argv, job->envp, job->ready_fd);
    job->err = job->pid < 0 ? errno : 0;
    return NULL;
}

struct cm_spawn_job *cm_spawn_detached_begin(const char *path, char *const argv[], char *const envp[], int ready_fd) {
    struct cm_spawn_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->path = strdup(path);
    job->argv = cm_copy_strings(argv);
    job->envp = cm_copy_strings(envp);
    job->ready_fd = ready_fd;
    if (!job->path || !job->argv || !job->envp) {
        job->pid = -1;
        job->err = ENOMEM;
        return job;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* posix_spawn maps its own stack for the child; this thread needs little. */
    pthread_attr_setstacksize(&attr, 256 << 10);
    job->threaded = pthread_create(&job->thread, &attr, cm_spawn_run, job) == 0;
    pthread_attr_destroy(&attr);
    if (!job->threaded) cm_spawn_run(job);
    return job;
}

pid_t cm_spawn_detached_end(struct cm_spawn_job *job, int *err) {
    if (!job) {
        *err = ENOMEM;
        return -1;
    }
    if (job->threaded) pthread_join(job->thread, NULL);
    pid_t pid = job->pid;
    *err = job->err;
    free(job->path);
    cm_free_strings(job->argv);
    cm_free_strings(job->envp);
    free(job);
    return pid;
}

struct cm_fs_batch {
    const int *ops;
    const char *const *paths;
    const int *fds;
    int count;
    int next;     /* the next entry to take (atomic) */
    int *errors;
};

static double cm_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Runs one entry; returns 0 when there was none left. */
static int cm_fs_one(struct cm_fs_batch *b) {
    int i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
    if (i >= b->count) return 0;
    int r;
    switch (b->ops[i]) {
    case CM_OP_UNLINK: r = unlink(b->paths[i]); break;
    case CM_OP_RMDIR: r = rmdir(b->paths[i]); break;
    case CM_OP_FSYNC: r = fsync(b->fds[i]); break;
    default: r = -1; errno = EINVAL; break;
    }
    b->errors[i] = (r == 0 || (b->ops[i] != CM_OP_FSYNC && errno == ENOENT)) ? 0 : errno;
    return 1;
}

static void *cm_fs_work(void *arg) {
    struct cm_fs_batch *b = arg;
    while (cm_fs_one(b)) {}
    return NULL;
}

int cm_parallel_fs(const int *ops, const char *const *paths, const int *fds, int count, int *failed) {
    enum { max_threads = 16 };
    if (count <= 0) return 0;
    int errors_small[64];
    int *errors = count <= 64 ? errors_small : calloc((size_t)count, sizeof(int));
    if (!errors) return ENOMEM;
    struct cm_fs_batch batch = { ops, paths, fds, count, 0, errors };
    pthread_t ids[max_threads];
    int helpers = 0;
    /* One at a time while the device answers quickly (threads would only
       cost); once a call has waited for it (> 0.5 ms), helpers take the
       rest so that the waits overlap. */
    for (;;) {
        double before = cm_now_ms();
        if (!cm_fs_one(&batch)) break;
        int left = count - __atomic_load_n(&batch.next, __ATOMIC_RELAXED);
        if (helpers == 0 && left > 1 && cm_now_ms() - before > 0.5) {
            /* Each helper makes a few system calls: a small stack (not
               glibc's 8 MiB default, mapped and unmapped each time). */
            pthread_attr_t attr;
            int have_attr = pthread_attr_init(&attr) == 0;
            if (have_attr) pthread_attr_setstacksize(&attr, 64 * 1024);
            int want = left - 1 < max_threads ? left - 1 : max_threads;
            while (helpers < want && pthread_create(&ids[helpers], have_attr ? &attr : NULL, cm_fs_work, &batch) == 0) {
                helpers++;
            }
            if (have_attr) pthread_attr_destroy(&attr);
        }
    }
    for (int t = 0; t < helpers; t++) pthread_join(ids[t], NULL);
    int result = 0;
    for (int i = 0; i < count; i++) {
        if (errors[i] != 0) {
            result = errors[i];
            if (failed) *failed = i;
            break;
        }
    }
    if (errors != errors_small) free(errors);
    return result;
}
