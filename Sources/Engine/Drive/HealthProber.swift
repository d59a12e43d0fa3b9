import Foundation
import Health
import Runtime

/// Runs healthcheck probes for containers started by this `up` process:
/// each probe is an exec into the container (all its namespaces, its
/// capabilities and seccomp), timed out after the policy's timeout, and its
/// result is fed to a HealthTracker. Probing stops when `up` exits; the
/// per-container monitor does not run probes yet.
public actor HealthProber {
    public struct Check: Sendable {
        public var argv: [String]
        /// The test as the user wrote it, for reports.
        public var text: String
        public var policy: HealthPolicy
    }

    public struct Report: Sendable {
        public var status: HealthStatus
        public var report: [String]
    }

    private var trackers: [String: (HealthTracker, Check)] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]

    public init() {}

    public func watch(record: ContainerRecord, check: Check, operations: ContainerOperations) {
        tasks[record.id]?.cancel()
        trackers[record.id] = (HealthTracker(policy: check.policy, startedAt: Self.now()), check)
        tasks[record.id] = Task { [weak self] in
            while !Task.isCancelled {
                guard let self, let delay = await self.nextDelay(record.id) else { return }
                try? await Task.sleep(nanoseconds: delay)
                if Task.isCancelled { return }
                let result = Self.probe(record: record, check: check, operations: operations)
                await self.record(record.id, result)
            }
        }
    }

    public func forget(_ id: String) {
        tasks.removeValue(forKey: id)?.cancel()
        trackers[id] = nil
    }

    public func status(_ id: String) -> Report? {
        guard let (tracker, check) = trackers[id] else { return nil }
        return Report(status: tracker.status,
                      report: tracker.status == .unhealthy ? tracker.failureReport(command: check.text) : [])
    }

    private func nextDelay(_ id: String) -> UInt64? {
        guard var entry = trackers[id] else { return nil }
        let delay = entry.0.nextDelay(at: Self.now())
        trackers[id] = entry
        return delay
    }

    private func record(_ id: String, _ result: ProbeResult) {
        guard var entry = trackers[id] else { return }
        entry.0.record(result)
        trackers[id] = entry
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Runs one probe to completion or timeout.
    static func probe(record: ContainerRecord, check: Check, operations: ContainerOperations) -> ProbeResult {
        let start = now()
        func failed(_ why: String) -> ProbeResult {
            ProbeResult(start: start, end: now(), outcome: .failedToRun(why), output: "")
        }
        guard let snapshot = try? operations.snapshot(record), snapshot.state.pid > 0 else {
            return failed("container is not running")
        }
        let plan: LaunchPlan
        do { plan = try ContainerLaunch.plan(for: record) } catch { return failed("\(error)") }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return failed("pipe: \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devnull >= 0 { close(devnull) } }
        let pid: Int32
        do {
            pid = try Launcher.exec(into: snapshot.state.pid, plan: ExecPlan(argv: check.argv, sameAs: plan, cgroup: nil),
                                    stdio: LaunchStdio(stdin: devnull, stdout: fds[1], stderr: fds[1]))
        } catch {
            close(fds[0]); close(fds[1])
            return failed("\(error)")
        }
        close(fds[1])
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var status: Int32 = 0
        let deadline = start + check.policy.timeout
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 && output.count < HealthTracker.maxOutput { output += buffer[0..<n] }
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if now() >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                close(fds[0])
                return ProbeResult(start: start, end: now(), outcome: .timedOut, output: String(decoding: output, as: UTF8.self))
            }
            if n <= 0 { usleep(5_000) }
        }
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            if output.count < HealthTracker.maxOutput { output += buffer[0..<n] }
        }
        close(fds[0])
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProbeResult(start: start, end: now(), outcome: .exited(code), output: String(decoding: output, as: UTF8.self))
    }
}
