// CNetlink: kernel headers Networking needs that Glibc does not export to
// Swift (sockaddr_nl; setns and posix_spawn_file_actions_addclosefrom_np,
// which glibc declares only under _GNU_SOURCE).
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <spawn.h>

int setns(int fd, int nstype);
/* glibc >= 2.34: close every fd >= from in the spawned child. */
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
int unshare(int flags);

static const int berth_clone_newnet = 0x40000000; /* CLONE_NEWNET */
