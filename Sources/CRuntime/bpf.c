// bpf(2) for the cgroup v2 device filter (parent side only; never called
// between clone and exec). Each function returns a descriptor or 0 on
// success, -1 with errno on failure. bpf(2) descriptors are close-on-exec.
#define _GNU_SOURCE
#include "cruntime.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int brt_bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int brt_bpf_load_device_filter(const uint8_t *insns, uint32_t count, char *log, uint32_t log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    // The program calls no GPL-only helper; the license string is informative.
    attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
    int fd = brt_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0 && (errno == EINVAL || errno == EACCES) && log != NULL && log_size > 0) {
        // Rejected: load again with the verifier's log (costly, so only now).
        int first = errno;
        log[0] = 0;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = log_size;
        attr.log_level = 1;
        fd = brt_bpf(BPF_PROG_LOAD, &attr);
        if (fd < 0) errno = first;
    }
    return fd;
}

int brt_bpf_attach_device_filter(int cgroup_fd, int prog_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return brt_bpf(BPF_PROG_ATTACH, &attr);
}

int brt_bpf_query_device_filters(int cgroup_fd, uint32_t *ids, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    int rc = brt_bpf(BPF_PROG_QUERY, &attr);
    if (rc == 0) *count = attr.query.prog_cnt;
    return rc;
}

int brt_bpf_prog_fd_by_id(uint32_t id) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    attr.open_flags = 0;
    return brt_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}
