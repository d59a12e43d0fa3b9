import CMonitor
import Diagnostics
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// What a caller sees of a container right now: the record, its state, and
/// whether its monitor is alive.
public struct ContainerSnapshot: Sendable {
    public var record: ContainerRecord
    public var state: ContainerState
    /// The monitor process exists and is this container's.
    public var monitorAlive: Bool
}

/// Container lifecycle operations for the CLI and the compose engine:
/// start (spawning berth-monitor), stop, kill, wait, remove. They talk to
/// the monitor's socket, and fall back to the recorded pid when the
/// monitor is gone, so a dead monitor never strands a container.
public struct ContainerOperations: Sendable {
    public let store: ContainerStore
    /// Path of the berth-monitor executable.
    public let monitorExecutable: String

    public init(store: ContainerStore, monitorExecutable: String) {
        self.store = store
        self.monitorExecutable = monitorExecutable
    }

    /// berth-monitor next to the running executable.
    public static func monitorBesideExecutable() -> String { Sys.besideExecutable("berth-monitor") }

    /// berth-init (the `--init` PID 1) next to the running executable: the
    /// monitor's, which sits beside berth (release bin directory, `.build/<config>`).
    public static func initBesideExecutable() -> String { Sys.besideExecutable("berth-init") }

    // MARK: Observing

    public func snapshot(_ record: ContainerRecord) throws -> ContainerSnapshot {
        var state: ContainerState
        do {
            state = try store.state(id: record.id)
        } catch ContainerStoreError.corrupt where record.autoRemove {
            // A `--rm` container's state is written unsynced: a machine crash
            // may leave it empty or torn, and the container did not survive
            // the crash either. Exited, so `rm` and `up` converge from it.
            state = ContainerState()
            state.status = .exited
            state.exitCode = 137
            state.finishedAt = .now()
            return ContainerSnapshot(record: record, state: state, monitorAlive: false)
        }
        let alive = ContainerOperations.isMonitor(of: state, id: record.id)
        if !alive && state.isActive {
            // The monitor died (or the machine rebooted): is the process still there?
            let running = ProcessIdentity.isAlive(pid: state.pid, startTime: state.pidStart)
            if running && !state.monitorLost {
                state = try store.updateState(id: record.id) { $0.monitorLost = true }
            } else if !running {
                state = try store.updateState(id: record.id) { s in
                    s.status = .exited
                    s.pid = 0
                    s.monitorPid = 0
            s.monitorStart = nil
                    if s.finishedAt.isZero || s.finishedAt < s.startedAt { s.finishedAt = .now() }
                    if s.exitCode == 0 { s.exitCode = 137 }
                }
            }
        }
        return ContainerSnapshot(record: record, state: state, monitorAlive: alive)
    }

    public func snapshot(_ reference: String) throws -> ContainerSnapshot {
        try snapshot(store.lookup(reference))
    }

    /// Whether the monitor `state` records is alive: a berth-monitor with the
    /// recorded start time (a monitor spawned ahead of its container has no
    /// container id on its command line), or, for states written before
    /// start times were recorded, one whose command line names `id`.
    static func isMonitor(of state: ContainerState, id: String) -> Bool {
        let pid = state.monitorPid
        guard let start = state.monitorStart else { return isMonitor(pid: pid, of: id) }
        return ProcessIdentity.isAlive(pid: pid, startTime: start, named: "berth-monitor")
    }

    static func isMonitor(pid: Int32, of id: String) -> Bool {
        guard pid > 0, let cmd = try? StateFile.read("/proc/\(pid)/cmdline") else { return false }
        let text = String(decoding: cmd.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        guard text.contains("berth-monitor") && text.contains(id) else { return false }
        return ProcessIdentity.stat(pid: pid)?.state != "Z"
    }

    // MARK: Starting

    /// How a start went.
    public enum StartOutcome: Equatable, Sendable {
        /// Running under a new monitor.
        case started(pid: Int32)
        /// The monitor listens and waits for an attach (foreground `run`).
        case waitingForAttach
        /// The process could not start (exit code 125/126/127 and why).
        case failed(exitCode: Int32, message: String)
    }

    /// Starts the container under a new berth-monitor. With `deferStart`
    /// the process starts when the first client attaches.
    public func start(_ record: ContainerRecord, deferStart: Bool = false) throws -> StartOutcome {
        try spawnMonitor(record, deferStart: deferStart).outcome()
    }

    /// A berth-monitor spawned by `spawnMonitor`, not heard from yet: the
    /// caller may do other work while it starts up (the foreground `run`
    /// writes the container's /etc files meanwhile), then reads its first
    /// word with `outcome()`, or gives up on it with `cancel()`.
    public final class MonitorLaunch {
        /// nil: nothing was spawned (the container was running already).
        public let pid: Int32?
        private var readEnd: Int32
        private let immediate: StartOutcome?
        private var cancelled = false

        init(pid: Int32, readEnd: Int32) {
            self.pid = pid
            self.readEnd = readEnd
            immediate = nil
        }

        init(already outcome: StartOutcome) {
            pid = nil
            readEnd = -1
            immediate = outcome
        }

        /// Blocks until the monitor listens (`waitingForAttach`), has started
        /// the process, or failed.
        public func outcome() -> StartOutcome {
            if let immediate { return immediate }
            guard let pid, readEnd >= 0 else {
                return .failed(exitCode: 125, message: "berth-monitor was cancelled")
            }
            let line = UnixSocket.readLine(readEnd) ?? ""
            close(readEnd)
            readEnd = -1
            // The monitor is our child until we exit; reap it if it fails early.
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            switch words.first {
            case "ready": return .waitingForAttach
            case "started": return .started(pid: Int32(words.count > 1 ? words[1] : "") ?? 0)
            case "error":
                let code = Int32(words.count > 1 ? words[1] : "") ?? 125
                return .failed(exitCode: code, message: words.count > 2 ? words[2] : "container failed to start")
            default:
                _ = waitpid(pid, &status, 0)
                return .failed(exitCode: 125, message: "berth-monitor exited before the container started (status \(status))")
            }
        }

        /// For a monitor spawned with `spawnMonitorAwaitingRecord`: the
        /// record of container `id` under `paths` exists now, the monitor may
        /// read it (and, unless `deferStart`, start the process at once).
        /// Without this call (`cancel`, or this process dying) it ends having
        /// touched nothing.
        public func release(id: String, paths: StatePaths, deferStart: Bool) {
            guard readEnd >= 0 else { return }
            let line = MonitorAssignment(root: paths.root, run: paths.run, id: id, deferStart: deferStart).line
            // A failed write means the monitor is gone: `outcome()` says so.
            try? StateFile.writeAll(fd: readEnd, Array(line.utf8), path: "monitor socket")
        }

        /// Kills a monitor that has not started the process (one spawned
        /// with `deferStart` that nobody attached to) and reaps it.
        public func cancel() {
            if readEnd >= 0 {
                close(readEnd)
                readEnd = -1
            }
            // Once: a second call would signal a pid reaped (and maybe reused).
            guard let pid, !cancelled else { return }
            cancelled = true
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }

        deinit { if readEnd >= 0 { close(readEnd) } }
    }

    /// Spawns the container's berth-monitor (see `start`) without waiting
    /// for its first word.
    public func spawnMonitor(_ record: ContainerRecord, deferStart: Bool = false) throws -> MonitorLaunch {
        let current = try snapshot(record)
        try current.state.check(.start, name: record.name)
        if current.state.isActive {
            return MonitorLaunch(already: .started(pid: current.state.pid))
        }
        try store.updateState(id: record.id) { s in
            s.stoppedByUser = false
            s.monitorLost = false
        }
        var fds: [Int32] = [-1, -1]
        guard cm_pipe(&fds, 0) == 0 else { throw SystemError.current("pipe2", "monitor ready pipe") }
        return try Self.spawnMonitor(monitorExecutable, ends: (fds[0], fds[1]),
                                     arguments: ["--root", store.paths.root, "--run", store.paths.run, "--id", record.id]
                                         + (deferStart ? ["--defer-start"] : []))
    }

    /// Spawns a berth-monitor before its container exists (`run`: it starts
    /// up on the other CPU while the CLI parses its command line, looks up
    /// the image and writes the record). It learns which container it
    /// monitors from `MonitorLaunch.release(id:paths:deferStart:)`, reads
    /// its record then; `cancel()` (or this process's exit) ends it having
    /// touched nothing.
    public static func spawnMonitorAwaitingRecord(executable: String) throws -> MonitorLaunch {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError.current("socketpair", "monitor ready socket")
        }
        return try spawnMonitor(executable, ends: (fds[0], fds[1]), arguments: ["--await-record"])
    }

    /// `spawnMonitorAwaitingRecord` with posix_spawn on a thread of its
    /// own: posix_spawn blocks until the monitor has exec'ed (≈ 1–5 ms here),
    /// which `run` spends parsing, looking up the image and writing the
    /// record instead. `PendingMonitorLaunch.wait()` gives the launch.
    public static func beginSpawnMonitorAwaitingRecord(executable: String) throws -> PendingMonitorLaunch {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError.current("socketpair", "monitor ready socket")
        }
        let spawn = MonitorSpawn(executable, ends: (fds[0], fds[1]), arguments: ["--await-record"])
        let job = spawn.withArguments { argv, envp in cm_spawn_detached_begin(executable, argv, envp, spawn.writeEnd) }
        return PendingMonitorLaunch(spawn: spawn, job: job)
    }

    /// A berth-monitor being spawned on a thread of its own
    /// (`beginSpawnMonitorAwaitingRecord`).
    public final class PendingMonitorLaunch {
        private let spawn: MonitorSpawn
        private var job: OpaquePointer?
        private var waited = false

        init(spawn: MonitorSpawn, job: OpaquePointer?) {
            self.spawn = spawn
            self.job = job
        }

        /// Waits for posix_spawn to return: the launch, or the error
        /// `spawnMonitorAwaitingRecord` would have thrown. Once.
        public func wait() throws -> MonitorLaunch {
            guard !waited else { throw SystemError("posix_spawn", spawn.executable, errno: EALREADY) }
            waited = true
            var err: Int32 = 0
            let pid = cm_spawn_detached_end(job, &err)
            job = nil
            return try spawn.finish(pid: pid, errno: err)
        }

        /// One dropped unwaited still joins its thread, and the launch it
        /// made is cancelled (the monitor sees EOF and exits).
        deinit {
            if !waited, let launch = try? wait() { launch.cancel() }
        }
    }

    /// The descriptors and arguments of one berth-monitor spawn, with
    /// `ends.child` as its fd 3 (`--ready-fd 3`).
    struct MonitorSpawn {
        let executable: String
        let arguments: [String]
        let readEnd: Int32
        let writeEnd: Int32

        init(_ executable: String, ends: (ours: Int32, child: Int32), arguments: [String]) {
            var readEnd = ends.ours, writeEnd = ends.child
            // fd 3 is where the monitor expects it; make sure dup2 really moves it.
            if writeEnd == 3 { let moved = fcntl(writeEnd, F_DUPFD_CLOEXEC, 10); close(writeEnd); writeEnd = moved }
            if readEnd == 3 { let moved = fcntl(readEnd, F_DUPFD_CLOEXEC, 10); close(readEnd); readEnd = moved }
            self.executable = executable
            self.arguments = [executable] + arguments + ["--ready-fd", "3"]
            self.readEnd = readEnd
            self.writeEnd = writeEnd
        }

        /// `body` with argv and envp as C arrays (freed afterwards).
        func withArguments<R>(_ body: ([UnsafeMutablePointer<CChar>?], [UnsafeMutablePointer<CChar>?]) -> R) -> R {
            let cargs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            let env: [UnsafeMutablePointer<CChar>?] = [strdup(pathEnv), nil]
            defer { for p in cargs + env { free(p) } }
            return body(cargs, env)
        }

        /// After posix_spawn returned `pid` (errno `spawnErrno` when < 0):
        /// `ends.child` is closed, `ends.ours` goes into the launch.
        func finish(pid: pid_t, errno spawnErrno: Int32) throws -> MonitorLaunch {
            close(writeEnd)
            if pid < 0 {
                close(readEnd)
                throw SystemError("posix_spawn", executable, errno: spawnErrno)
            }
            return MonitorLaunch(pid: pid, readEnd: readEnd)
        }
    }

    /// posix_spawn of berth-monitor with `ends.child` as its fd 3 (`--ready-fd 3`);
    /// `ends.ours` stays here, in the returned launch.
    private static func spawnMonitor(_ monitorExecutable: String, ends: (ours: Int32, child: Int32),
                                     arguments: [String]) throws -> MonitorLaunch {
        let spawn = MonitorSpawn(monitorExecutable, ends: ends, arguments: arguments)
        let (pid, spawnErrno) = spawn.withArguments { argv, envp in
            let pid = cm_spawn_detached(monitorExecutable, argv, envp, spawn.writeEnd)
            return (pid, errno)
        }
        return try spawn.finish(pid: pid, errno: spawnErrno)
    }

    // MARK: Stopping

    /// Docker's stop: the stop signal, SIGKILL after `timeout` seconds
    /// (nil: the record's stop timeout). Returns once the process is gone.
    public func stop(_ record: ContainerRecord, timeout: Int? = nil) throws {
        let snap = try snapshot(record)
        try snap.state.check(.stop, name: record.name)
        let grace = timeout ?? record.process.stopTimeout
        // A frozen container cannot act on signals: thaw it first, as Docker does.
        if snap.state.status == .paused {
            try? cgroup(of: record)?.setFrozen(false)
            try store.updateState(id: record.id) { $0.status = .running }
        }
        if snap.monitorAlive, let reply = request(record.id, .stop(timeout: grace)), reply.hasPrefix("ok") {
            waitForMonitorExit(snap.state.monitorPid)
            return
        }
        guard snap.state.isActive else { return }
        try store.updateState(id: record.id) { $0.stoppedByUser = true }
        let sig = SignalName.parse(record.process.stopSignal) ?? SIGTERM
        try stopOrphan(record, state: snap.state, signal: sig, grace: Double(grace))
    }

    /// Sends `signal` to the container's process.
    public func kill(_ record: ContainerRecord, signal: Int32) throws {
        let snap = try snapshot(record)
        try snap.state.check(.kill, name: record.name)
        if snap.monitorAlive, let reply = request(record.id, .kill(signal: signal)) {
            if reply.hasPrefix("ok") { return }
            throw LifecycleError(String(reply.dropFirst("error ".count)))
        }
        if [SIGKILL, SIGTERM, SIGINT, SIGQUIT].contains(signal) {
            try store.updateState(id: record.id) { $0.stoppedByUser = true }
        }
        if Glibc.kill(snap.state.pid, signal) != 0 { throw SystemError.current("kill", "container \(record.name)") }
        if signal == SIGKILL { try stopOrphan(record, state: snap.state, signal: SIGKILL, grace: 0) }
    }

    /// Stops a container whose monitor is gone, by pid (checked against its
    /// start time), and records the exit.
    private func stopOrphan(_ record: ContainerRecord, state: ContainerState, signal: Int32, grace: Double) throws {
        let pid = state.pid
        let alive = { ProcessIdentity.isAlive(pid: pid, startTime: state.pidStart) }
        var code: Int32 = 128 + signal
        if alive() {
            _ = Glibc.kill(pid, signal)
            let deadline = monotonicSeconds() + grace
            while alive() && monotonicSeconds() < deadline { usleep(20_000) }
            if alive() {
                _ = Glibc.kill(pid, SIGKILL)
                code = 137
                let hard = monotonicSeconds() + 10
                while alive() && monotonicSeconds() < hard { usleep(10_000) }
            }
        }
        // No monitor to clean up after it: the cgroup goes here.
        try? cgroup(of: record)?.destroy()
        try store.updateState(id: record.id) { s in
            s.status = .exited
            s.pid = 0
            s.pidStart = 0
            s.monitorPid = 0
            s.monitorStart = nil
            s.exitCode = code
            s.finishedAt = .now()
        }
    }

    /// Blocks until the container's final exit; returns its exit code.
    public func wait(_ record: ContainerRecord) throws -> Int32 {
        let snap = try snapshot(record)
        if snap.monitorAlive, let reply = request(record.id, .wait), reply.hasPrefix("exit ") {
            return Int32(reply.dropFirst(5)) ?? 0
        }
        var current = snap
        while current.state.isActive {
            usleep(50_000)
            guard let again = try? snapshot(record) else { return current.state.exitCode }
            current = again
        }
        return current.state.exitCode
    }

    // MARK: Removing

    /// Removes the container: with `force` a running one is killed first.
    /// `removeVolumes` also removes its anonymous volumes.
    public func remove(_ record: ContainerRecord, force: Bool, removeVolumes: Bool = false) throws {
        let snap = try snapshot(record)
        try snap.state.check(.remove, name: record.name, force: force)
        if snap.state.status == .paused { try? cgroup(of: record)?.setFrozen(false) }
        if snap.state.isActive {
            if snap.monitorAlive {
                _ = request(record.id, .stop(timeout: 0))
                waitForMonitorExit(snap.state.monitorPid)
            } else {
                try stopOrphan(record, state: snap.state, signal: SIGKILL, grace: 0)
            }
        } else if snap.monitorAlive {
            waitForMonitorExit(snap.state.monitorPid)
        } else {
            // A monitor that died before its container (kill -9, a restored
            // machine) never removed the cgroup; nothing else will.
            try? cgroup(of: record)?.destroy()
        }
        if removeVolumes {
            let volumes = NamedVolumes(paths: store.paths)
            for m in record.host.mounts where m.type == "volume" && NamedVolumes.isAnonymous(m.source) {
                try volumes.remove(m.source)
            }
        }
        try store.remove(id: record.id)
    }

    /// Waits (at most 10 s) until the monitor `pid` has exited: on a pidfd,
    /// which becomes readable at its exit, else by polling /proc.
    private func waitForMonitorExit(_ pid: Int32) {
        guard pid > 0 else { return }
        let deadline = monotonicSeconds() + 10
        // Exited (and reaped when ours) or timed out; nil: no pidfd, poll /proc.
        if Sys.awaitExit(pid, timeout: 10) != nil { return }
        while monotonicSeconds() < deadline {
            if Glibc.kill(pid, 0) != 0 { return }
            if let stat = try? StateFile.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")"),
               stat[stat.index(after: close)...].split(separator: " ").first == "Z" {
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)
                return
            }
            usleep(5_000)
        }
    }

    /// One request/reply on the monitor socket; nil when it cannot be reached.
    public func request(_ id: String, _ request: MonitorRequest) -> String? {
        guard let fd = try? UnixSocket.connect(store.socketPath(id)) else { return nil }
        defer { close(fd) }
        do { try StateFile.writeAll(fd: fd, Array(request.line.utf8), path: "monitor socket") } catch { return nil }
        return UnixSocket.readLine(fd)
    }
}
