// CNetlink: kernel headers Networking needs that Glibc does not export to
// Swift (sockaddr_nl; setns, which glibc declares only under _GNU_SOURCE).
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

int setns(int fd, int nstype);
int unshare(int flags);

static const int berth_clone_newnet = 0x40000000; /* CLONE_NEWNET */
