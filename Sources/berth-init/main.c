// berth-init: the init process of `berth run --init` / compose `init: true`
// (Docker's docker-init, which is tini). berth bind-mounts this static
// executable read-only at /dev/init and runs `/dev/init -- PROGRAM ARGS...`
// as the container's PID 1. It owns only this: start PROGRAM as its child,
// forward every signal it receives to it, reap every child (orphans
// re-parented to PID 1 included), and exit with PROGRAM's status (128+N when
// PROGRAM was killed by signal N). It must never depend on anything in the
// image (no shell, no libc of the image: it is statically linked), never
// read or write files, and never outlive PROGRAM.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// Signals raised by the process's own faults (or terminal job control) stay
// unblocked, as in tini: blocking a synchronous fault only turns it into an
// uncatchable kill. SIGTTIN/SIGTTOU are ignored by the init instead (it is
// in the background once the program owns the terminal).
static const int unblocked[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};

static void report(const char *what, const char *object, int err) {
    // One line on stderr (the container's log); nothing else is written.
    dprintf(2, "berth-init: %s%s%s: %s\n", what, object ? " " : "", object ? object : "", strerror(err));
}

int main(int argc, char **argv) {
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0) first++;
    if (first >= argc) {
        dprintf(2, "usage: berth-init [--] PROGRAM [ARG...]\n");
        return 2;
    }

    sigset_t forwarded, none;
    sigfillset(&forwarded);
    for (size_t i = 0; i < sizeof unblocked / sizeof unblocked[0]; i++) sigdelset(&forwarded, unblocked[i]);
    sigemptyset(&none);
    // Blocked signals are queued even for PID 1 (which the kernel otherwise
    // shields from signals it has no handler for); sigwaitinfo takes them.
    if (sigprocmask(SIG_BLOCK, &forwarded, NULL) < 0) { report("sigprocmask", NULL, errno); return 1; }
    // Outside a PID namespace of its own (`pid: host`) orphans would go to
    // the host's init; make them ours instead.
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
        report("prctl PR_SET_CHILD_SUBREAPER", NULL, errno);
        return 1;
    }

    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGTTIN, &ign, NULL);
    sigaction(SIGTTOU, &ign, NULL);

    pid_t child = fork();
    if (child < 0) { report("fork", NULL, errno); return 1; }
    if (child == 0) {
        // The program leads its own process group and, with a terminal, is
        // its foreground group, so ^C reaches it once (not via init too).
        // SIGTTOU is still ignored here, so tcsetpgrp from what is a
        // background group until then cannot stop us.
        setpgid(0, 0);
        if (isatty(0)) tcsetpgrp(0, getpid());
        // Default dispositions: a signal ignored by whoever started us (a
        // background job ignores SIGINT/SIGQUIT) must still reach the program
        // as itself, since we forward it.
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[first], argv + first);
        int err = errno;
        report("exec", argv[first], err);
        _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
    }

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&forwarded, &info);
        if (sig < 0) continue;   // EINTR
        if (sig != SIGCHLD) {
            // ESRCH: the program just exited; its SIGCHLD is on the way.
            kill(child, sig);
            continue;
        }
        for (;;) {
            int status;
            pid_t done = waitpid(-1, &status, WNOHANG);
            if (done <= 0) break;
            if (done != child) continue;   // an orphan, reaped
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        }
    }
}
