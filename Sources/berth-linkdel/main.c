// berth-linkdel: deletes network links of the host by name, in the
// background. Deleting a bridge makes the caller of RTM_DELLINK wait for the
// kernel's RCU grace periods and barriers (40–60 ms on this kind of VM),
// although the link, its addresses and its routes are gone from the
// namespace well before that. berth (`down`, `network rm`) runs this helper
// instead of waiting itself: the helper detaches (a new session, the parent
// returns at once), asks the kernel to delete each link and exits when the
// kernel is done. berth then only waits until the link is no longer listed
// (and deletes it itself if it still is after a few seconds). `down` starts
// it ahead (`-`: names on standard input), so that its start is not on the
// path once the last container has stopped.
// It owns only this: no files, no output but one line on failure.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int delete_link(int fd, const char *name, unsigned seq) {
    struct {
        struct nlmsghdr header;
        struct ifinfomsg info;
        char attributes[64];
    } request;
    size_t length = strlen(name) + 1;
    if (length > IFNAMSIZ) return -EINVAL;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_type = RTM_DELLINK;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.header.nlmsg_seq = seq;
    request.info.ifi_family = AF_UNSPEC;
    struct rtattr *attribute = (struct rtattr *)request.attributes;
    attribute->rta_type = IFLA_IFNAME;
    attribute->rta_len = RTA_LENGTH(length);
    memcpy(RTA_DATA(attribute), name, length);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof request.info) + RTA_ALIGN(attribute->rta_len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
    char reply[4096];
    for (;;) {
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
            return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        }
    }
}

static int delete_all(char **names, int count) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return 1;
    int failed = 0;
    for (int i = 0; i < count; i++) {
        int error = delete_link(fd, names[i], (unsigned)i + 1);
        // Gone already: what the caller wanted.
        if (error != 0 && error != -ENODEV) {
            dprintf(2, "berth-linkdel: delete link %s: %s\n", names[i], strerror(-error));
            failed = 1;
        }
    }
    return failed;
}

// `-`: started ahead of time, the names come on standard input, one per
// line, when the caller is ready; end of input without names (the caller
// gone or changing its mind) deletes nothing.
static int delete_from_input(void) {
    static char text[4096];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(0, text + used, sizeof text - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += (size_t)n;
        if (used == sizeof text - 1) break;
    }
    text[used] = 0;
    char *names[64];
    int count = 0;
    for (char *line = strtok(text, "\n"); line && count < 64; line = strtok(NULL, "\n")) names[count++] = line;
    return delete_all(names, count);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        dprintf(2, "usage: berth-linkdel LINK... | berth-linkdel -\n");
        return 2;
    }
    // Detached: the caller reaps the parent at once; the child is init's.
    pid_t child = fork();
    if (child < 0) return 1;
    if (child > 0) return 0;
    setsid();
    // Nothing of the caller's kept: not its directory (it may be unmounted
    // or removed next, and a process inside it looks like one of its users).
    if (chdir("/") != 0) return 1;
    if (argc == 2 && strcmp(argv[1], "-") == 0) return delete_from_input();
    return delete_all(argv + 1, argc - 1);
}
