# Sourced by bench/runtime/run.sh and cli.sh: the OCI bundle crun and runc run
# for the comparison, and how crun is invoked on this machine.
#
# make_bundle DIR — DIR/rootfs must exist; writes DIR/config.json: runc's
# default spec plus what berth sets up by default (Docker's capabilities, a
# cgroup namespace, memory and pids limits, a seccomp deny-list like berth's).
make_bundle() {
    local dir=$1
    (cd "$dir" && rm -f config.json && runc spec)
    local deny='["mount","umount2","unshare","setns","pivot_root","fsopen","fsconfig","fsmount","fspick","open_tree","move_mount","mount_setattr","quotactl","swapon","swapoff","bpf","perf_event_open","open_by_handle_at","init_module","finit_module","delete_module","reboot","settimeofday","clock_settime","clock_adjtime","syslog","acct","iopl","ioperm","kexec_load","kexec_file_load","keyctl","add_key","request_key","userfaultfd","io_uring_setup","io_uring_enter","io_uring_register"]'
    local caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
    jq --argjson deny "$deny" --argjson caps "$caps" '
      .process.args = ["/bin/true"] | .process.terminal = false | .root.readonly = false | .hostname = "bench"
      | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
      | .linux.namespaces += [{type: "cgroup"}]
      | .linux.resources.memory = {limit: 268435456} | .linux.resources.pids = {limit: 256}
      | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
                          syscalls: [{names: $deny, action: "SCMP_ACT_ERRNO", errnoRet: 1}]}
    ' "$dir/config.json" > "$dir/config.tmp" && mv "$dir/config.tmp" "$dir/config.json"
}

# crun_commands DIR NAME — sets CRUN (how to run the bundle with crun) and
# WRAP (the wrapper alone, timed as its own row to subtract). crun 1.8 refuses
# hybrid cgroup hosts whose v2 mount has a controller ("cgroups in hybrid mode
# not supported"); there it runs in a mount namespace without the v2 mount.
crun_commands() {
    local dir=$1 name=$2
    CRUN="crun run --bundle $dir $name"
    WRAP="true"
    if ! crun run --bundle "$dir" "$name" 2>/dev/null; then
        CRUN="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun run --bundle $dir $name'"
        WRAP="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec true'"
        sh -c "$CRUN"
    fi
}
