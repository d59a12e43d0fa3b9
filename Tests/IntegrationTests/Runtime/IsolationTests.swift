import BerthTestSupport
import Diagnostics
import Foundation
import Runtime
import SystemCalls
import Testing

extension RuntimeIntegrationTests {
    @Test func pidOneHostnameAndNoHostProcesses() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let r = try Harness.run(Harness.plan("echo $$; hostname; ls /proc | grep '^[0-9]' | tr '\\n' ' '", root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.prefix(2) == ["1", "ctr-\(t.prefix)"])
            // Only the shell and its pipeline (small pids), none of the host's.
            let pids = lines.last.map { $0.split(separator: " ").compactMap { Int($0) } } ?? []
            #expect(!pids.isEmpty && pids.allSatisfy { $0 <= 10 }, "\(pids)")
            #expect(Harness.cgroups(containing: t.prefix).isEmpty)
            #expect(Harness.mounts(containing: t.prefix).isEmpty)
        }
    }

    @Test func namespacesDifferFromTheHost() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let r = try Harness.run(Harness.plan("for n in mnt pid uts ipc net cgroup user; do readlink /proc/self/ns/$n; done", root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let inside = r.stdout.split(separator: "\n").map(String.init)
            let host = try ["mnt", "pid", "uts", "ipc", "net", "cgroup", "user"].map { try Sys.readLink("/proc/self/ns/\($0)") }
            #expect(inside.count == 7)
            for (i, name) in ["mnt", "pid", "uts", "ipc", "net", "cgroup"].enumerated() where i < inside.count {
                #expect(inside[i] != host[i], "\(name) namespace is shared with the host")
            }
            #expect(inside.last == host.last, "no user namespace")
        }
    }

    /// A network namespace made ahead (the monitor of a foreground
    /// `run --network none` makes it while it waits for the attach): a new
    /// one with `lo` up, which a child joins instead of creating its own.
    @Test func aNetworkNamespaceMadeAheadHasLoopbackUpAndIsJoined() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let made = try #require(DescriptorJob.networkNamespace().finish())
            defer { made.close() }
            let ns = try Sys.readLink("/proc/self/fd/\(made.raw)")
            let hostNS = try Sys.readLink("/proc/self/ns/net")
            #expect(ns.hasPrefix("net:[") && ns != hostNS)
            var joining = Harness.plan("readlink /proc/self/ns/net; ip -o link show lo", root: root, t: t)
            joining.namespaces.net = .join(path: "/proc/\(getpid())/fd/\(made.raw)")
            let joined = try Harness.run(joining)
            #expect(joined.status == .exited(0), "\(joined.stderr)")
            let lines = joined.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == ns && lines.count == 2 && lines[1].contains(",UP"), "\(joined.stdout)")

            // Through a prepared start: a namespace of its own, only `lo`, up.
            let plan = Harness.plan("readlink /proc/self/ns/net; ls /sys/class/net; ip -o link show lo", root: root, t: t)
            let prepared = try Launcher.prepare(plan, networkNamespaceAhead: true)
            #expect(prepared.networkNamespaceAhead)
            let r = try Harness.run(plan, prepared: prepared)
            #expect(r.status == .exited(0), "\(r.stderr)")
            let inside = r.stdout.split(separator: "\n").map(String.init)
            #expect(inside.count == 3 && inside[0] != hostNS && inside[0] != ns
                    && inside[1] == "lo" && inside[2].contains(",UP"), "\(r.stdout)")

            // One never started leaves no namespace descriptor behind; a
            // plan that joins a namespace gets none made.
            let before = namespaceDescriptors()
            let unused = try Launcher.prepare(plan, networkNamespaceAhead: true)
            unused.discard()
            #expect(namespaceDescriptors() == before)
            var host = plan
            host.namespaces.net = .host
            let hostLaunch = try Launcher.prepare(host, networkNamespaceAhead: true)
            #expect(!hostLaunch.networkNamespaceAhead)
            hostLaunch.discard()
        }
    }

    private func namespaceDescriptors() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? Sys.readLink("/proc/self/fd/\($0)") }.filter { $0.hasPrefix("net:[") }.sorted()
    }

    @Test func defaultCapabilitiesAreDockers() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let r = try Harness.run(Harness.plan("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status", root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let caps = Dictionary(uniqueKeysWithValues: r.stdout.split(separator: "\n").map { line in
                let f = line.split(separator: "\t")
                return (String(f[0].dropLast()), String(f.last ?? ""))
            })
            #expect(caps["CapEff"] == "00000000a80425fb")
            #expect(caps["CapPrm"] == "00000000a80425fb")
            #expect(caps["CapBnd"] == "00000000a80425fb")
            #expect(caps["CapInh"] == "0000000000000000")
            #expect(caps["CapAmb"] == "0000000000000000")
        }
    }

    struct CapCase: CustomTestStringConvertible, Sendable {
        var name: String
        var add: [String]
        var drop: [String]
        var expected: UInt64
        var testDescription: String { name }
    }

    static let capCases = [
        CapCase(name: "add NET_ADMIN", add: ["NET_ADMIN"], drop: [], expected: 0xa80425fb | (1 << 12)),
        CapCase(name: "drop NET_RAW and CHOWN", add: [], drop: ["NET_RAW", "cap_chown"], expected: 0xa80425fb & ~((1 << 13) | 1)),
        CapCase(name: "drop ALL add KILL", add: ["KILL"], drop: ["ALL"], expected: 1 << 5),
    ]

    @Test(arguments: capCases) func capAddAndDropChangeExactlyThoseBits(_ c: CapCase) async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("grep CapEff /proc/self/status | cut -f2", root: root, t: t)
            let resolved = ProcessCapabilities.resolve(add: c.add, drop: c.drop, privileged: false)
            #expect(resolved.unknown.isEmpty)
            plan.capabilities = resolved.capabilities
            let r = try Harness.run(plan)
            #expect(r.status == .exited(0), "\(r.stderr)")
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == CapabilitySet(mask: c.expected).hex)
        }
    }

    @Test func blockedOperationsFailWithEPERM() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let script = """
            unshare -U true 2>&1; echo "unshare=$?"
            mkdir -p /mnt; mount -t tmpfs x /mnt 2>&1; echo "mount=$?"
            """
            let r = try Harness.run(Harness.plan(script, root: root, t: t))
            #expect(r.stdout.contains("unshare=1"), "\(r.stdout)")
            #expect(r.stdout.contains("mount=") && !r.stdout.contains("mount=0"), "\(r.stdout)")
            #expect(r.stdout.contains("Operation not permitted"), "\(r.stdout)")
        }
    }

    @Test func maskedPathsAreEmptyAndProcSysIsReadOnly() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let script = """
            if [ -e /proc/kcore ]; then echo "kcore=$(wc -c < /proc/kcore)"; else echo kcore=0; fi
            echo "keys=$(cat /proc/keys | wc -c)"
            echo "timer_list=$(cat /proc/timer_list | wc -c)"
            echo "firmware=$(ls /sys/firmware | wc -l)"
            echo 1 > /proc/sys/kernel/domainname 2>/dev/null; echo "procsys=$?"
            echo b > /proc/sysrq-trigger 2>/dev/null; echo "sysrq=$?"
            grep -E ' /proc/sys | /sys ' /proc/self/mountinfo | grep -c ' ro,'
            touch /sys/fs/x 2>/dev/null; echo "sys=$?"
            """
            let r = try Harness.run(Harness.plan(script, root: root, t: t))
            #expect(r.stdout.contains("kcore=0"), "\(r.stdout)")
            #expect(r.stdout.contains("keys=0"), "\(r.stdout)")
            #expect(r.stdout.contains("timer_list=0"), "\(r.stdout)")
            #expect(r.stdout.contains("firmware=0"), "\(r.stdout)")
            #expect(r.stdout.contains("procsys=1"), "\(r.stdout)")
            #expect(r.stdout.contains("sysrq=1"), "\(r.stdout)")
            #expect(r.stdout.contains("\n2\n"), "\(r.stdout)")
            #expect(r.stdout.contains("sys=1"), "\(r.stdout)")
        }
    }

    @Test func devHasOnlyTheStandardNodes() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            let script = """
            ls -A /dev | tr '\\n' ' '; echo
            stat -c '%n %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
            for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done
            grep -E ' /dev/pts | /dev/shm ' /proc/self/mountinfo
            """
            let r = try Harness.run(Harness.plan(script, root: root, t: t))
            #expect(r.status == .exited(0), "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first.map { Set($0.split(separator: " ").map(String.init)) } ==
                    ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"])
            #expect(lines.contains("/dev/null 1:3 666"))
            #expect(lines.contains("/dev/tty 5:0 666"))
            #expect(lines.contains("pts/ptmx"))
            #expect(lines.contains("/proc/self/fd"))
            #expect(r.stdout.contains("ptmxmode=666") && r.stdout.contains("mode=620"), "\(r.stdout)")
            #expect(r.stdout.contains("size=65536k"), "\(r.stdout)")
        }
    }

    @Test func noHostDescriptorLeaksIntoTheContainer() async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            // Open some descriptors without CLOEXEC in the parent to tempt a leak.
            let leaked = (0..<3).map { _ in open("/", O_RDONLY) }
            defer { leaked.forEach { close($0) } }
            let out = try Sys.pipe()
            let spawned = try Launcher.spawn(Harness.plan("echo up; exec sleep 30", root: root, t: t),
                                             stdio: LaunchStdio(stdout: out.write.raw))
            out.write.close()
            t.defer_("kill container") {
                try spawned.cgroup?.destroy()
                _ = try? Sys.waitpid(spawned.pid)
                if let fd = spawned.pidfd { close(fd) }
            }
            var buf = [UInt8](repeating: 0, count: 3)
            _ = read(out.read.raw, &buf, 3)
            usleep(50_000)   // let the shell exec sleep
            let fds = try Sys.listDirectory("/proc/\(spawned.pid)/fd").sorted()
            #expect(fds == ["0", "1", "2"], "descriptors of the container's PID 1: \(fds)")
            #expect(try Sys.readFile("/proc/\(spawned.pid)/cmdline").hasPrefix("sleep"))
        }
    }

    @Test(arguments: [3, 4, 5, 7, 10]) func workdirThroughProcSelfFdFails(_ n: Int) async throws {
        try await withTestRoot { t in
            let root = try BusyboxRoot(in: t)
            var plan = Harness.plan("ls ../../..", root: root, t: t)
            plan.cwd = "/proc/self/fd/\(n)"
            #expect(throws: SystemError.self) { try Harness.run(plan) }
        }
    }
}
