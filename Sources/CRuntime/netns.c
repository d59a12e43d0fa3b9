// A container's new network namespace made ahead, on a thread of its own:
// creating one is ~0.5–0.7 ms of kernel work (every subsystem's
// per-namespace set-up) that clone(CLONE_NEWNET) would otherwise do
// between the attach and the child. The child joins it (setns) instead.
#define _GNU_SOURCE
#include "cruntime.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int brt_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int err = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        err = errno;
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) err = errno;
    }
    close(fd);
    return -err;
}

// Runs on the job's own thread only (unshare moves the calling thread),
// which ends right after (it goes back home first all the same).
static int netns_job(void *unused) {
    (void)unused;
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) return -errno;
    int err = 0, ns = -1;
    if (unshare(CLONE_NEWNET) < 0) {
        err = errno;
    } else {
        // Above 2: the child joins it after putting its stdio on 0-2.
        ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (ns < 0) err = errno;
        else if (ns <= 2) {
            int moved = fcntl(ns, F_DUPFD_CLOEXEC, 3);
            if (moved < 0) err = errno;
            close(ns);
            ns = moved;
        }
        if (!err) {
            int r = brt_loopback_up();
            if (r < 0) err = -r;
        }
        (void)setns(home, CLONE_NEWNET);
    }
    close(home);
    if (err) {
        if (ns >= 0) close(ns);
        return -err;
    }
    return ns;
}

struct brt_job *brt_netns_begin(void) {
    // Never on the caller's own thread: that would move the caller.
    return brt_job_begin(netns_job, NULL, 0);
}
