// An overlay made ahead of its container (new mount API, Linux 5.2): the
// monitor builds the filesystem while the CLI still sets up the network,
// and the child only attaches it (move_mount) instead of mounting it.
// overlayfs's own set-up at mount (its work directory, the tmpfile,
// whiteout and xattr probes: new inodes on the upper filesystem) is then
// no longer between the attach and the container's exec.
#define _GNU_SOURCE
#include "cruntime.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define FSOPEN_CLOEXEC_ 0x1U
#define FSMOUNT_CLOEXEC_ 0x1U
#define FSCONFIG_SET_FLAG_ 0U
#define FSCONFIG_SET_STRING_ 1U
#define FSCONFIG_CMD_CREATE_ 6U

static int fsconfig_(int fd, unsigned cmd, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fd, cmd, key, value, 0);
}

// The next option of mount(2)-style data, split at a comma that no
// backslash escapes (overlayfs's own rule, ovl_next_opt); escapes stay in
// the option, for overlayfs to read as it reads mount(2) data.
static char *next_option(char **s) {
    char *begin = *s;
    if (!begin) return NULL;
    for (char *p = begin; *p; p++) {
        if (*p == '\\') {
            if (!*++p) break;
        } else if (*p == ',') {
            *p = 0;
            *s = p + 1;
            return begin;
        }
    }
    *s = NULL;
    return begin;
}

int brt_overlay_fsmount(const char *data) {
    char buf[4096];
    size_t len = strlen(data);
    if (len >= sizeof buf) return -E2BIG;
    memcpy(buf, data, len + 1);
    int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC_);
    if (fs < 0) return -errno;
    int err = 0;
    if (fsconfig_(fs, FSCONFIG_SET_STRING_, "source", "overlay") < 0) err = errno;
    char *rest = buf, *opt;
    while (!err && (opt = next_option(&rest)) != NULL) {
        if (!*opt) continue;
        // As mount(2) splits an option: the key up to the first '=', or a flag.
        char *value = strchr(opt, '=');
        if (value == opt) continue;
        if (value) *value++ = 0;
        int r = value ? fsconfig_(fs, FSCONFIG_SET_STRING_, opt, value) : fsconfig_(fs, FSCONFIG_SET_FLAG_, opt, NULL);
        if (r < 0) err = errno;
    }
    if (!err && fsconfig_(fs, FSCONFIG_CMD_CREATE_, NULL, NULL) < 0) err = errno;
    int mnt = -1;
    if (!err) {
        mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC_, 0);
        if (mnt < 0) err = errno;
    }
    close(fs);
    if (err) return -err;
    // Above 2: the child puts the container's stdio there before it moves this.
    if (mnt <= 2) {
        int moved = fcntl(mnt, F_DUPFD_CLOEXEC, 3);
        int e = errno;
        close(mnt);
        if (moved < 0) return -e;
        mnt = moved;
    }
    return mnt;
}

#include <stdlib.h>

static int overlay_job(void *data) {
    int fd = brt_overlay_fsmount(data);
    free(data);
    return fd;
}

struct brt_job *brt_overlay_fsmount_begin(const char *data) {
    char *copy = strdup(data);
    if (!copy) return NULL;
    struct brt_job *job = brt_job_begin(overlay_job, copy, 1);
    if (!job) free(copy);
    return job;
}
