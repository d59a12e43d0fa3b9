// CNetlink: kernel headers Networking needs that Glibc does not export to
// Swift (sockaddr_nl; setns and posix_spawn_file_actions_addclosefrom_np,
// renameat2, which glibc declares only under _GNU_SOURCE).
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <spawn.h>

int setns(int fd, int nstype);
/* glibc >= 2.34: close every fd >= from in the spawned child. */
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
int unshare(int flags);
/* glibc >= 2.28; RENAME_EXCHANGE swaps two existing names atomically. */
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
static const unsigned int berth_rename_exchange = 2; /* RENAME_EXCHANGE */

static const int berth_clone_newnet = 0x40000000; /* CLONE_NEWNET */
