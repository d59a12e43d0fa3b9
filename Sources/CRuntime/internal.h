// Private to CRuntime: kernel constants and structs that glibc 2.36's
// headers do not expose without conflicts (linux/mount.h clashes with
// sys/mount.h), and helpers shared by parent.c and child.c.
#ifndef BERTH_CRUNTIME_INTERNAL_H
#define BERTH_CRUNTIME_INTERNAL_H

#include <stdint.h>
#include "cruntime.h"

#define RESOLVE_NO_XDEV_ 0x01ULL
#define RESOLVE_NO_MAGICLINKS_ 0x02ULL
#define RESOLVE_NO_SYMLINKS_ 0x04ULL
#define RESOLVE_BENEATH_ 0x08ULL
#define RESOLVE_IN_ROOT_ 0x10ULL

#define OPEN_TREE_CLONE_ 1U
#define AT_RECURSIVE_ 0x8000U
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x00000004U
#define MOVE_MOUNT_T_EMPTY_PATH_ 0x00000040U

#define MOUNT_ATTR_RDONLY_ 0x00000001ULL
#define MOUNT_ATTR_NOSUID_ 0x00000002ULL
#define MOUNT_ATTR_NODEV_ 0x00000004ULL
#define MOUNT_ATTR_NOEXEC_ 0x00000008ULL

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define CLONE_INTO_CGROUP_ 0x200000000ULL

struct brt_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};

struct brt_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

struct brt_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

_Noreturn void brt_fail(int report_fd, int step, int err, const char *path);
void brt_fd_path(char *buf, int fd);
int brt_resolve(int rootfd, const char *path, int oflags);
int brt_resolve_create(int rootfd, const char *path, int last_is_file);
_Noreturn void brt_finish_process(const struct brt_config *cfg, int rfd);
_Noreturn void brt_child_main(const struct brt_config *cfg, int rfd, int start_fd);
void brt_reset_signals(void);
int brt_wait_start(int start_fd);
void brt_join_cgroups(const struct brt_config *cfg, int rfd);
_Noreturn void brt_exec_child_main(const struct brt_config *cfg, int rfd, int start_fd, const int *ns_fds,
                                   const int *ns_types, int nns);

/// Runs `work(arg)` on a thread of its own (64 KiB of stack); when no
/// thread can be started, here and now if `inline_if_no_thread`, else
/// not at all (NULL).
struct brt_job *brt_job_begin(int (*work)(void *), void *arg, int inline_if_no_thread);

#endif
