import BerthTestSupport
import Foundation
import Runtime
import Testing
import SystemCalls

/// Every runtime integration test, in one serialized suite: the leak check
/// compares global cgroup/mount state, so these tests must not overlap.
@Suite(.serialized, .requiresRoot, .requiresTool("/bin/busybox"))
struct RuntimeIntegrationTests {}

/// A busybox root directory for one test (until the image store lands):
/// /bin/busybox plus applet symlinks, /etc/passwd and /etc/group.
struct BusyboxRoot {
    let path: String

    init(in t: TestRoot, name: String = "rootfs") throws {
        path = t.directory.appendingPathComponent(name).path
        let fm = FileManager.default
        for dir in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/app"] {
            try fm.createDirectory(atPath: "\(path)/\(dir)", withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: "\(path)/bin/busybox")
        for applet in ["sh", "echo", "cat", "ls", "id", "hostname", "grep", "mount", "unshare", "true", "false",
                       "sleep", "touch", "mkdir", "readlink", "wc", "head", "dd", "stat", "ps", "env", "pwd",
                       "mknod", "seq", "tail", "rm", "ln", "test", "tr", "cut", "yes", "nproc", "kill"] {
            try fm.createSymbolicLink(atPath: "\(path)/bin/\(applet)", withDestinationPath: "busybox")
        }
        try """
        root:x:0:0:root:/root:/bin/sh
        app:x:1000:1000:app:/home/app:/bin/sh
        nobody:x:65534:65534:nobody:/:/bin/false

        """.write(toFile: "\(path)/etc/passwd", atomically: true, encoding: .utf8)
        try """
        root:x:0:
        app:x:1000:
        audio:x:29:app
        staff:x:50:app,root
        nogroup:x:65534:

        """.write(toFile: "\(path)/etc/group", atomically: true, encoding: .utf8)
    }
}

/// Output of a container run to completion.
struct RunResult {
    var status: WaitStatus
    var stdout: String
    var stderr: String
    var oomKilled: Bool
}

/// Test helpers around `Launcher`.
enum Harness {
    /// A plan for `sh -c script` in `root` with a cgroup named after the test.
    static func plan(_ script: String, root: BusyboxRoot, t: TestRoot) -> LaunchPlan {
        var plan = LaunchPlan(argv: ["/bin/sh", "-c", script], rootfs: Rootfs(directory: root.path))
        plan.hostname = "ctr-\(t.prefix)"
        plan.cgroup = CgroupPlan(name: "\(t.prefix)-\(UInt32.random(in: 0...UInt32.max))")
        return plan
    }

    /// Spawns `plan` with pipes for stdout/stderr, waits for it, removes its cgroup.
    /// `prepared`: started from it (`Launcher.prepare` of `plan`) instead.
    static func run(_ plan: LaunchPlan, prepared: PreparedLaunch? = nil, stdin: Int32 = -1,
                    beforeStart: ((Int32) throws -> Void)? = nil) throws -> RunResult {
        let out = try Sys.pipe(), err = try Sys.pipe()
        let stdio = LaunchStdio(stdin: stdin, stdout: out.write.raw, stderr: err.write.raw)
        let spawned = try prepared.map { try Launcher.spawn($0, stdio: stdio, beforeStart: beforeStart) }
            ?? Launcher.spawn(plan, stdio: stdio, beforeStart: beforeStart)
        out.write.close()
        err.write.close()
        let errReader = ReadAll(fd: err.read.raw)
        let stdout = readAll(out.read.raw)
        let stderr = errReader.wait()
        let (_, raw) = try Sys.waitpid(spawned.pid)
        if let pidfd = spawned.pidfd { close(pidfd) }
        let oom = spawned.cgroup?.oomKilled() ?? false
        try spawned.cgroup?.destroy()
        return RunResult(status: WaitStatus(raw: raw), stdout: stdout, stderr: stderr, oomKilled: oom)
    }

    static func readAll(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += buf[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Mount points whose path mentions `needle` (from our mountinfo).
    static func mounts(containing needle: String) -> [String] {
        let text = (try? Sys.readFile("/proc/self/mountinfo")) ?? ""
        return text.split(separator: "\n").filter { $0.contains(needle) }.map(String.init)
    }

    /// cgroup directories named after the test that still exist.
    static func cgroups(containing needle: String) -> [String] {
        var found: [String] = []
        let fm = FileManager.default
        // `berth-<name>` directly below every hierarchy's root (and the v2 root itself).
        let roots = ((try? fm.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).map { "/sys/fs/cgroup/\($0)" } + ["/sys/fs/cgroup"]
        for root in roots {
            for e in (try? fm.contentsOfDirectory(atPath: root)) ?? []
            where e.hasPrefix(Cgroup.leafPrefix) && e.contains(needle) {
                found.append("\(root)/\(e)")
            }
        }
        return found
    }
}

/// Reads a descriptor to EOF on another thread.
final class ReadAll: @unchecked Sendable {
    private var result = ""
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32) {
        Thread.detachNewThread { [self] in
            result = Harness.readAll(fd)
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return result
    }
}
