// Runtime: starting containers.
//
// Owns: the pure `LaunchPlan` (what a container is: argv, env, user, rootfs,
// mounts, namespaces, capabilities, seccomp, rlimits, sysctls, masked and
// read-only paths, /dev, cgroup limits) and `LaunchPlan.make`, which applies
// Docker's rules to an image config plus user overrides; the seccomp BPF
// compiler (Hardening/); cgroup v1/v2 control (Cgroups/); and `Launcher`,
// the thin shell that serializes a plan for CRuntime, clones, places the
// child in its cgroup and waits for exec (Launch/).
//
// Must never: run Swift between clone and execve (CRuntime does that), call
// getpwnam/NSS (users are resolved by parsing the container's own
// /etc/passwd and /etc/group), or re-resolve a mount target path after it
// was validated (the C side mounts onto /proc/self/fd/N).
//
// Lifetimes and logs belong to the monitor (berth-monitor), not here:
// `Launcher.spawn` returns as soon as the container process has exec'ed.

// Records are JSON through JSONCoding; its types (`RecordJSON`,
// `RecordCoding`) are part of this module's API, as they were when they
// lived here.
@_exported import JSONCoding
