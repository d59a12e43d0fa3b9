// CBPF: the bpf(2) commands berth uses (EBPF's BPFKernel), as plain
// functions (Swift cannot call the variadic syscall(2) nor fill union
// bpf_attr's anonymous structs). Each returns what bpf(2) returns (-1 and
// errno on failure). Header only: no library to link.
#ifndef BERTH_CBPF_SHIM_H
#define BERTH_CBPF_SHIM_H

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

static inline long berth_bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static inline int berth_bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size,
                                       uint32_t max_entries, const char *name) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = key_size;
    a.value_size = value_size;
    a.max_entries = max_entries;
    strncpy(a.map_name, name, sizeof a.map_name - 1);
    return (int)berth_bpf(BPF_MAP_CREATE, &a);
}

/// Loads a program of `prog_type` (`count` 8-byte instructions). Only when
/// the verifier refuses it is it loaded again with the verifier's log going
/// to `log` (logging is costly); errno is the first refusal's.
static inline int berth_bpf_prog_load(uint32_t prog_type, uint32_t expected_attach_type, const void *insns,
                                      uint32_t count, const char *name, const char *license,
                                      char *log, uint32_t log_size) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = prog_type;
    a.expected_attach_type = expected_attach_type;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = count;
    a.license = (uint64_t)(uintptr_t)license;
    strncpy(a.prog_name, name, sizeof a.prog_name - 1);
    int fd = (int)berth_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0 && (errno == EINVAL || errno == EACCES) && log != NULL && log_size > 0) {
        int first = errno;
        log[0] = 0;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = log_size;
        a.log_level = 1;
        fd = (int)berth_bpf(BPF_PROG_LOAD, &a);
        if (fd < 0) errno = first;
    }
    return fd;
}

/// Attaches to a cgroup directory with BPF_F_ALLOW_MULTI: the cgroup holds
/// the program until it is detached or the cgroup is removed.
static inline int berth_bpf_prog_attach(int prog_fd, int cgroup_fd, uint32_t attach_type) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = attach_type;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    return (int)berth_bpf(BPF_PROG_ATTACH, &a);
}

static inline int berth_bpf_prog_detach(int prog_fd, int cgroup_fd, uint32_t attach_type) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = attach_type;
    return (int)berth_bpf(BPF_PROG_DETACH, &a);
}

/// The ids of the programs attached to a cgroup itself (not its ancestors)
/// for one attach type;
/// `*count` is the capacity in, the number found out.
static inline int berth_bpf_prog_query(int cgroup_fd, uint32_t attach_type, uint32_t *ids, uint32_t *count) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.query.target_fd = (uint32_t)cgroup_fd;
    a.query.attach_type = attach_type;
    a.query.prog_ids = (uint64_t)(uintptr_t)ids;
    a.query.prog_cnt = *count;
    int r = (int)berth_bpf(BPF_PROG_QUERY, &a);
    *count = a.query.prog_cnt;
    return r;
}

/// BPF_PROG_GET_FD_BY_ID (ENOENT once the program is freed).
static inline int berth_bpf_prog_fd_by_id(uint32_t id) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_id = id;
    return (int)berth_bpf(BPF_PROG_GET_FD_BY_ID, &a);
}

static inline int berth_bpf_map_fd_by_id(uint32_t id) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_id = id;
    return (int)berth_bpf(BPF_MAP_GET_FD_BY_ID, &a);
}

/// A program's name (16 bytes, NUL-padded) and the ids of the maps it uses;
/// `*map_count` is the capacity in, the number the program has out.
static inline int berth_bpf_prog_info(int prog_fd, char name[16], uint32_t *map_ids, uint32_t *map_count) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    info.nr_map_ids = *map_count;
    info.map_ids = (uint64_t)(uintptr_t)map_ids;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.info.bpf_fd = (uint32_t)prog_fd;
    a.info.info_len = sizeof info;
    a.info.info = (uint64_t)(uintptr_t)&info;
    int r = (int)berth_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
    if (r == 0) {
        memcpy(name, info.name, 16);
        *map_count = info.nr_map_ids;
    }
    return r;
}

/// A map's name (16 bytes, NUL-padded).
static inline int berth_bpf_map_name(int map_fd, char name[16]) {
    struct bpf_map_info info;
    memset(&info, 0, sizeof info);
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.info.bpf_fd = (uint32_t)map_fd;
    a.info.info_len = sizeof info;
    a.info.info = (uint64_t)(uintptr_t)&info;
    int r = (int)berth_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
    if (r == 0) memcpy(name, info.name, 16);
    return r;
}

static inline int berth_bpf_map_update(int map_fd, const void *key, const void *value) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map_fd;
    a.key = (uint64_t)(uintptr_t)key;
    a.value = (uint64_t)(uintptr_t)value;
    a.flags = BPF_ANY;
    return (int)berth_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static inline int berth_bpf_map_lookup(int map_fd, const void *key, void *value) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map_fd;
    a.key = (uint64_t)(uintptr_t)key;
    a.value = (uint64_t)(uintptr_t)value;
    return (int)berth_bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

static inline int berth_bpf_map_delete(int map_fd, const void *key) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map_fd;
    a.key = (uint64_t)(uintptr_t)key;
    return (int)berth_bpf(BPF_MAP_DELETE_ELEM, &a);
}

/// The key after `key` (the first key when `key` is NULL); -1 with ENOENT
/// after the last.
static inline int berth_bpf_map_next_key(int map_fd, const void *key, void *next) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map_fd;
    a.key = (uint64_t)(uintptr_t)key;
    a.next_key = (uint64_t)(uintptr_t)next;
    return (int)berth_bpf(BPF_MAP_GET_NEXT_KEY, &a);
}

/// 1 when `path` is the root of a cgroup2 mount (CGROUP2_SUPER_MAGIC).
static inline int berth_is_cgroup2(const char *path) {
    struct statfs fs;
    return statfs(path, &fs) == 0 && fs.f_type == 0x63677270;
}

/* Constants Swift cannot see through the enums' macros. */
static const uint32_t berth_bpf_map_type_hash = BPF_MAP_TYPE_HASH;
static const uint32_t berth_bpf_map_type_lru_hash = BPF_MAP_TYPE_LRU_HASH;
static const uint32_t berth_bpf_attach_connect4 = BPF_CGROUP_INET4_CONNECT;
static const uint32_t berth_bpf_attach_getpeername4 = BPF_CGROUP_INET4_GETPEERNAME;
static const uint32_t berth_bpf_attach_device = BPF_CGROUP_DEVICE;
static const uint32_t berth_bpf_prog_type_sock_addr = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
static const uint32_t berth_bpf_prog_type_device = BPF_PROG_TYPE_CGROUP_DEVICE;
/* SO_NETNS_COOKIE (Linux 5.14): the cookie of the socket's network namespace. */
static const int berth_so_netns_cookie = 71;

#endif
