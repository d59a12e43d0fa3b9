// CMonitor: the few lines of C the container monitor needs — signal
// handlers that only write to a pipe, variadic kernel calls Swift cannot
// call (ioctl, prctl, syscall), posix_spawn of the detached monitor, and
// batches of file-system calls run on short-lived threads (joined before
// returning). It never allocates in a signal handler and never runs Swift
// code in a forked child (container processes are started by CRuntime).
#ifndef BERTH_CMONITOR_H
#define BERTH_CMONITOR_H

#include <poll.h>
#include <sys/types.h>
#include <stdint.h>

/// Installs handlers for `signals[0..<count]` that write the signal number
/// (one byte) to `pipe_write_fd` (non-blocking) and nothing else.
int cm_install_signal_pipe(const int *signals, int count, int pipe_write_fd);

/// prctl(PR_SET_CHILD_SUBREAPER, 1).
int cm_set_child_subreaper(void);

/// Gives back this process's resident pages of readable private file
/// mappings that still are the file's own pages (text, read-only data,
/// data never written: /proc/self/pagemap's "file page" bit), so the next
/// use faults them back in from the page cache; pages written since (private
/// copies) stay. Called when the monitor has been idle for a second: the
/// start-up's code and data (record decoding, plan building, seccomp
/// compiling, spawning) stop counting against its resident memory. Only
/// while no other thread of the process runs (a write by one between a
/// page's check and its drop would be lost); signals are blocked meanwhile.
/// Returns the number of pages released, or -1.
int cm_release_file_pages(void);

/// `cm_release_file_pages`, then poll(2) with no other code in between
/// (none to fault back in). Returns poll's result.
int cm_release_file_pages_then_poll(struct pollfd *fds, nfds_t count, int timeout_ms);

/// `cm_release_file_pages` for [start, start + length) only (its check
/// per page, for a range no other thread writes). Returns the number of
/// pages released, or -1.
int cm_release_clean_pages(void *start, size_t length);

/// pidfd_open(pid, 0); -1 with errno on failure.
int cm_pidfd_open(pid_t pid);
/// pidfd_send_signal(pidfd, sig, NULL, 0).
int cm_pidfd_send_signal(int pidfd, int sig);

/// pipe2(O_CLOEXEC [| O_NONBLOCK]); GNU calls Swift's Glibc module hides.
int cm_pipe(int fds[2], int nonblock);
/// accept4(fd, NULL, NULL, SOCK_CLOEXEC).
int cm_accept(int fd);
/// Whether `sig` has the default disposition (no handler installed).
int cm_signal_is_default(int sig);
/// Back to SIG_DFL (after cm_install_signal_pipe, before closing its pipe).
int cm_reset_signal(int sig);

/// Terminal window size on a tty fd.
int cm_set_winsize(int fd, unsigned short rows, unsigned short cols);
int cm_get_winsize(int fd, unsigned short *rows, unsigned short *cols);

/// Puts a terminal in raw mode; the previous mode is saved in `saved`
/// (an opaque buffer of at least cm_termios_size() bytes).
int cm_termios_size(void);
int cm_make_raw(int fd, void *saved);
int cm_restore_termios(int fd, const void *saved);

/// posix_spawn of berth-monitor in a new session (POSIX_SPAWN_SETSID) with
/// stdin/stdout/stderr on /dev/null and `ready_fd` as fd 3. Returns the pid
/// or -1 (errno).
pid_t cm_spawn_detached(const char *path, char *const argv[], char *const envp[], int ready_fd);

/// `cm_spawn_detached` on a thread of its own: posix_spawn blocks its caller
/// until the child has exec'ed (≈ 1–5 ms for berth-monitor here), which the
/// caller can spend on other work meanwhile. Copies its arguments; never
/// fails (without a thread it spawns right away). `cm_spawn_detached_end`
/// waits for it and returns what `cm_spawn_detached` returned (errno in
/// `*err`); call it exactly once.
struct cm_spawn_job;
struct cm_spawn_job *cm_spawn_detached_begin(const char *path, char *const argv[], char *const envp[], int ready_fd);
pid_t cm_spawn_detached_end(struct cm_spawn_job *job, int *err);

/// Runs one file-system call per entry, one after the other while each
/// returns quickly; once one has waited for the device (> 0.5 ms: online
/// discard on a journal-less ext4, a busy disk) up to 16 helper threads take
/// the rest, so that the waits overlap instead of adding up. Helpers are
/// joined before returning (the caller is single-threaded again). `ops[i]`: CM_OP_UNLINK / CM_OP_RMDIR on `paths[i]`,
/// CM_OP_FSYNC on `fds[i]` (the other array may be NULL). Returns 0, or
/// the errno of the first entry that failed (ENOENT counts as done for
/// unlink and rmdir) with its index in `*failed`.
enum { CM_OP_UNLINK = 0, CM_OP_RMDIR = 1, CM_OP_FSYNC = 2 };
int cm_parallel_fs(const int *ops, const char *const *paths, const int *fds, int count, int *failed);

#endif
