// CUnpack: the few kernel calls the layer unpacker needs that Swift cannot
// reach directly (variadic syscall(2), macros). Header-only, no state.

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/mount.h>
#include <unistd.h>

/// openat2(2) with RESOLVE_* flags; returns the fd or -1 with errno set.
static inline int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static inline uint64_t berth_resolve_in_root(void) { return RESOLVE_IN_ROOT; }
static inline uint64_t berth_resolve_no_magiclinks(void) { return RESOLVE_NO_MAGICLINKS; }
static inline uint64_t berth_resolve_no_xdev(void) { return RESOLVE_NO_XDEV; }

static inline dev_t berth_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
static inline unsigned int berth_major(dev_t dev) { return major(dev); }
static inline unsigned int berth_minor(dev_t dev) { return minor(dev); }

/// Linux-only constants and calls that glibc hides without _GNU_SOURCE
/// (which this header must not define: it would make its fd_set differ
/// from other modules').
static inline int berth_o_path(void) { return 010000000; }
static inline int berth_at_empty_path(void) { return 0x1000; }
static inline int berth_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }
