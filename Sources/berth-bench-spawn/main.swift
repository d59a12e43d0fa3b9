// berth-bench-spawn: bench-only driver for bench/runtime (not shipped).
// Starts ONE container with berth's full setup (namespaces, cgroup with
// limits, default capabilities, seccomp, masked/read-only paths, /dev),
// waits for it, removes its cgroup and exits with its status.
//   berth-bench-spawn [--no-cgroup] ROOTFS [ARGV...]   (default argv: /bin/true)
import Runtime
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

func printError(_ s: String) {
    let bytes = Array((s + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

var args = Array(CommandLine.arguments.dropFirst())
let noCgroup = args.first == "--no-cgroup"
if noCgroup { args.removeFirst() }
guard let rootfs = args.first else {
    printError("usage: berth-bench-spawn [--no-cgroup] ROOTFS [ARGV...]")
    exit(2)
}
var plan = LaunchPlan(argv: args.count > 1 ? Array(args.dropFirst()) : ["/bin/true"], rootfs: Rootfs(directory: rootfs))
plan.hostname = "bench"
var limits = CgroupLimits()
limits.memory = 256 << 20
limits.pidsLimit = 256
if !noCgroup { plan.cgroup = CgroupPlan(name: "bench-\(getpid())", limits: limits) }
do {
    let c = try Launcher.spawn(plan, stdio: LaunchStdio(stdin: -1, stdout: 1, stderr: 2))
    let (_, raw) = try Sys.waitpid(c.pid)
    if let fd = c.pidfd { close(fd) }
    try c.cgroup?.destroy()
    exit(WaitStatus(raw: raw).exitCode)
} catch {
    printError("berth-bench-spawn: \(error)")
    exit(Launcher.exitCode(for: error))
}
