import CMonitor
import Diagnostics
import Health
#if canImport(Glibc)
import Glibc
#endif

/// berth-monitor's job for one container: it is the container's parent
/// (and a child subreaper), captures stdout/stderr into the json-file log,
/// records every transition in state.json, applies the restart policy and
/// answers the control socket. Single-threaded: one poll loop; signal
/// handlers (C) only write the signal number to a pipe.
///
/// It exits after the container's final exit (after removing it for
/// `--rm`); `berth start` starts a new monitor.
public final class ContainerMonitor {
    private enum ClientRole { case request, attached(stdin: Bool), waiter, stopper }
    private final class Client {
        let fd: Int32
        var role: ClientRole = .request
        var line: [UInt8] = []
        var frames = FrameReader()
        init(fd: Int32) { self.fd = fd }
    }

    private let store: ContainerStore
    private var record: ContainerRecord
    private let starter: any ContainerStarter
    private var state: ContainerState
    private let deferStart: Bool

    private var signalRead: Int32 = -1
    private var listenFD: Int32 = -1
    private var clients: [Client] = []
    private var log: JSONLogWriter?

    private var pid: Int32 = 0
    private var pidfd: Int32 = -1
    private var cgroup: Cgroup?
    private var outFD: Int32 = -1
    private var errFD: Int32 = -1
    private var stdinFD: Int32 = -1
    private var ptyMaster: Int32 = -1
    private var outSplit = LogLineSplitter(stream: .stdout)
    private var errSplit = LogLineSplitter(stream: .stderr)
    private var exitStatus: Int32?
    private var drainDeadline: Double?
    private var stopDeadline: Double?
    private var restartAt: Double?
    private var startedMonotonic = 0.0
    private var backoff = RestartBackoff()
    private var pendingSize = WindowSize.standard
    private var done = false
    private var finalCode: Int32 = 0
    /// A `--rm` container taken out of the store at its final exit, its
    /// files to delete before the monitor exits.
    private var removed: DetachedRecord?
    /// Code pages released since the last activity (see `step`).
    private var trimmed = false

    // Healthcheck probing (record.healthcheck): one probe at a time, exec'd
    // into the running container, its output read through a pipe.
    private var healthTracker: HealthTracker?
    private var healthPlan: LaunchPlan?
    private var probePid: Int32 = 0
    private var probeFD: Int32 = -1
    private var probeOutput: [UInt8] = []
    private var probeStart: UInt64 = 0
    private var probeTimedOut = false
    private var nextProbeAt: Double?
    private var probeDeadline: Double?

    /// - Parameters:
    ///   - deferStart: wait for the first `attach` or `start` request before
    ///     starting the process (foreground `run` attaches first so that no
    ///     output is missed).
    public init(store: ContainerStore, id: String, starter: any ContainerStarter, deferStart: Bool) throws {
        self.store = store
        self.record = try store.record(id: id)
        self.state = try store.state(id: id)
        self.starter = starter
        self.deferStart = deferStart
    }

    /// Runs until the container's final exit. `readyFD` (or -1) receives one
    /// line once the socket listens: `ready`, `started <pid>` or
    /// `error <code> <message>`, then is closed.
    public func run(readyFD: Int32) -> Int32 {
        // A deferred start's plan and root overlay come first, before this
        // sets itself up (see `prepare` below).
        if deferStart { starter.begin(record) }
        do {
            try setUp()
        } catch {
            starter.discardPrepared()
            report(readyFD, "error 125 berth-monitor: \(error)")
            return 125
        }
        if deferStart {
            report(readyFD, "ready")
            // Idle until the first attach: get the start ready meanwhile.
            starter.prepare(record)
        } else {
            switch startProcess() {
            case .success(let pid): report(readyFD, "started \(pid)")
            case .failure(let f): report(readyFD, "error \(f.exitCode) \(f.message)")
            }
        }
        // Start-up code is not needed again until a restart: let its text
        // pages go (they fault back in from the page cache when used). A
        // deferred start runs that code at the first attach, which usually
        // follows at once (foreground `run`): its pages go with the idle
        // trim in `step` instead (after a second without activity), not
        // here, between the attach and the start.
        if !deferStart { _ = cm_release_file_pages() }
        while !done { step() }
        starter.discardPrepared()
        unlink(store.socketPath(record.id))
        // A `--rm` container's files: deleted after its exit was reported
        // (the record is out of the store already; see `finish`).
        if let removed {
            do { try removed.reclaim() } catch {
                // Left in the trash: the next `create` deletes it.
            }
        }
        return finalCode
    }

    private func report(_ fd: Int32, _ line: String) {
        guard fd >= 0 else { return }
        try? StateFile.writeAll(fd: fd, Array((line + "\n").utf8), path: "ready pipe")
        close(fd)
    }

    private func setUp() throws {
        _ = cm_set_child_subreaper()
        var fds: [Int32] = [-1, -1]
        guard cm_pipe(&fds, 1) == 0 else { throw SystemError.current("pipe2", "signal pipe") }
        signalRead = fds[0]
        let signals: [Int32] = [SIGCHLD, SIGTERM]
        guard cm_install_signal_pipe(signals, Int32(signals.count), fds[1]) == 0 else {
            throw SystemError.current("sigaction")
        }
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        try StateFile.makeDirectories(store.runDirectory(record.id), mode: 0o700)
        listenFD = try UnixSocket.listen(store.socketPath(record.id))
        log = try JSONLogWriter(path: store.logPath(record.id), options: record.log)
        // Recorded with the start (or its failure), one state write less:
        // until then the container is `created` either way, and a monitor
        // that dies before it leaves nothing to reconcile.
        state.monitorPid = getpid()
        state.monitorStart = ProcessIdentity.startTime(pid: getpid())
        state.monitorLost = false
    }

    /// A `--rm` container's state is not fsynced (see `writeState`).
    private func saveState() throws {
        let s = state
        try store.updateState(id: record.id, synced: !record.autoRemove) { $0 = s }
    }

    // MARK: Starting

    private func startProcess() -> Result<Int32, StartFailure> {
        exitStatus = nil
        drainDeadline = nil
        let before = state
        let isRestart = !state.startedAt.isZero && state.status == .restarting
        var recorded = false
        var childFDs: [Int32] = []
        defer { for fd in childFDs { close(fd) } }
        let stdio: ProcessStdio
        do {
            if record.process.tty {
                // The terminal is opened inside the container; its master comes back from the start.
                stdio = ProcessStdio(stdin: -1, stdout: -1, stderr: -1, tty: true, windowSize: pendingSize)
            } else {
                let out = try makePipe(), err = try makePipe()
                childFDs += [out.1, err.1]
                outFD = out.0
                errFD = err.0
                var childIn: Int32 = -1
                if record.process.openStdin {
                    let input = try makePipe()
                    childFDs.append(input.0)
                    stdinFD = input.1
                    childIn = input.0
                }
                stdio = ProcessStdio(stdin: childIn, stdout: out.1, stderr: err.1, tty: false)
            }
            // The start is recorded (state.json, fsync'd) while the child
            // mounts its root and execs on the other CPU, not after it:
            // a short-lived process has often exited by then.
            let started = try starter.start(record, stdio: stdio) { childPid in
                markStarted(pid: childPid, isRestart: isRestart)
                try? saveState()
                recorded = true
            }
            pid = started.pid
            pidfd = started.pidfd
            cgroup = started.cgroup
            if record.process.tty {
                ptyMaster = started.ptyMaster
                outFD = ptyMaster
                stdinFD = record.process.openStdin ? ptyMaster : -1
            }
            for fd in [outFD, errFD] where fd >= 0 { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        } catch let failure as StartFailure {
            closeProcessFDs()
            state = before
            state.markStartFailed(exitCode: failure.exitCode, message: failure.message, at: .now())
            try? saveState()
            broadcastAttached(FrameCodec.encode(.error, text: "\(failure.exitCode) \(failure.message)"))
            finish(code: failure.exitCode)
            return .failure(failure)
        } catch {
            closeProcessFDs()
            let failure = StartFailure(exitCode: 125, message: "\(error)")
            state = before
            state.markStartFailed(exitCode: 125, message: failure.message, at: .now())
            try? saveState()
            broadcastAttached(FrameCodec.encode(.error, text: "125 \(failure.message)"))
            finish(code: 125)
            return .failure(failure)
        }
        if !recorded { markStarted(pid: pid, isRestart: isRestart) }
        startedMonotonic = monotonicSeconds()
        if !recorded || record.healthcheck != nil {
            beginHealth()
            try? saveState()
        }
        broadcastAttached(FrameCodec.encode(.started, text: String(pid)))
        return .success(pid)
    }

    private func markStarted(pid: Int32, isRestart: Bool) {
        state.markStarted(pid: pid, at: .now(), isRestart: isRestart)
        state.pidStart = ProcessIdentity.startTime(pid: pid) ?? 0
    }

    private func makePipe() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard cm_pipe(&fds, 0) == 0 else {
            throw StartFailure(exitCode: 125, message: SystemError.current("pipe2").description)
        }
        return (fds[0], fds[1])
    }

    private func closeProcessFDs() {
        for fd in [outFD, errFD, pidfd] where fd >= 0 { close(fd) }
        if stdinFD >= 0 && stdinFD != ptyMaster { close(stdinFD) }
        outFD = -1; errFD = -1; pidfd = -1; stdinFD = -1; ptyMaster = -1
    }

    // MARK: The loop

    private func step() {
        var polls: [pollfd] = [pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: outFD, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: errFD, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: probeFD, events: Int16(POLLIN), revents: 0)]
        let polled = clients
        for c in polled { polls.append(pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)) }
        let now = monotonicSeconds()
        var timeout = -1.0
        for deadline in [drainDeadline, stopDeadline, restartAt, nextProbeAt, probeDeadline].compactMap({ $0 }) {
            let d = max(0, deadline - now)
            timeout = timeout < 0 ? d : min(timeout, d)
        }
        let ms = timeout < 0 ? -1 : Int32(min(timeout * 1000 + 1, 60_000))
        var n: Int32
        if !trimmed && (ms < 0 || ms > 1000) {
            // After a second without activity, give back the code and
            // unwritten data pages the last burst of work faulted in (they
            // come back from the page cache when needed): an idle monitor
            // stays small. The wait goes on in the same C call: any code run
            // between the trim and the wait would fault its pages back, each
            // with its neighbours (the kernel maps up to 64 KiB around a fault).
            n = poll(&polls, nfds_t(polls.count), 1000)
            if n == 0 {
                n = cm_release_file_pages_then_poll(&polls, nfds_t(polls.count), ms < 0 ? -1 : ms - 1000)
                trimmed = true
            }
        } else {
            n = poll(&polls, nfds_t(polls.count), ms)
        }
        if n < 0 && errno != EINTR { return }
        if n > 0 { trimmed = false }

        if polls[0].revents != 0 { drainSignals() }
        if polls[2].revents != 0 { readOutput(stream: .stdout) }
        if polls[3].revents != 0 { readOutput(stream: .stderr) }
        if polls[4].revents != 0 { readProbeOutput() }
        if polls[1].revents != 0 { accept() }
        for (i, c) in polled.enumerated() where polls[5 + i].revents != 0 && clients.contains(where: { $0 === c }) {
            readClient(c)
        }
        timers()
    }

    private func timers() {
        let now = monotonicSeconds()
        if let d = stopDeadline, now >= d, exitStatus == nil, pid > 0 {
            signalProcess(SIGKILL)
            stopDeadline = nil
        }
        if exitStatus != nil, outFD < 0 && errFD < 0 || (drainDeadline.map { now >= $0 } ?? false) {
            processExited()
        }
        if let r = restartAt, now >= r {
            restartAt = nil
            _ = startProcess()
        }
        if let at = nextProbeAt, now >= at, probePid == 0 {
            nextProbeAt = nil
            startProbe()
        }
        if let d = probeDeadline, now >= d, probePid > 0 {
            probeTimedOut = true
            probeDeadline = nil
            kill(probePid, SIGKILL)
        }
    }

    private func drainSignals() {
        var buf = [UInt8](repeating: 0, count: 64)
        var sawChild = false
        while true {
            let n = read(signalRead, &buf, buf.count)
            if n <= 0 { break }
            for s in buf[0..<n] where Int32(s) == SIGCHLD { sawChild = true }
        }
        guard sawChild else { return }
        // Reap everything: the container's init and any orphan reparented to us.
        while true {
            var status: Int32 = 0
            let r = waitpid(-1, &status, WNOHANG)
            if r <= 0 { break }
            if r == pid && exitStatus == nil {
                exitStatus = status
                drainDeadline = monotonicSeconds() + 1.0
            } else if r == probePid {
                finishProbe(status: status)
            }
        }
    }

    private func readOutput(stream: LogStream) {
        let fd = stream == .stdout ? outFD : errFD
        guard fd >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 32 * 1024)
        while true {
            let n = read(fd, &buf, buf.count)
            if n > 0 {
                let chunk = buf[0..<n]
                let now = Timestamp.now()
                let entries = stream == .stdout ? outSplit.feed(chunk, at: now) : errSplit.feed(chunk, at: now)
                for e in entries { try? log?.write(e) }
                broadcastAttached(FrameCodec.encode(stream == .stdout ? .stdout : .stderr, chunk))
                if n < buf.count { return }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            // EOF (or EIO from a pty whose slave side is gone).
            let now = Timestamp.now()
            if let e = (stream == .stdout ? outSplit.finish(at: now) : errSplit.finish(at: now)) { try? log?.write(e) }
            if stream == .stdout {
                if outFD == ptyMaster {
                    if stdinFD == ptyMaster { stdinFD = -1 }
                    ptyMaster = -1
                }
                close(outFD); outFD = -1
            } else {
                close(errFD); errFD = -1
            }
            return
        }
    }

    // MARK: Healthcheck

    private static func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The process (re)started: health starts over as `starting` (Docker).
    private func beginHealth() {
        guard let spec = record.healthcheck else { return }
        let now = Self.nowNanos()
        var tracker = HealthTracker(policy: spec.policy, startedAt: now)
        let delay = tracker.nextDelay(at: now)
        healthTracker = tracker
        nextProbeAt = monotonicSeconds() + Double(delay) / 1e9
        state.health = HealthState(status: HealthStatus.starting.rawValue)
    }

    private func startProbe() {
        guard let spec = record.healthcheck, pid > 0, exitStatus == nil, healthTracker != nil else { return }
        // A paused container (frozen by `berth pause`, recorded on disk by
        // the CLI) cannot run a probe: look again one interval later.
        if (try? store.state(id: record.id))?.status == .paused {
            nextProbeAt = monotonicSeconds() + Double(spec.interval) / 1e9
            return
        }
        probeStart = Self.nowNanos()
        probeOutput = []
        probeTimedOut = false
        if healthPlan == nil { healthPlan = try? ContainerLaunch.plan(for: record) }
        guard let plan = healthPlan else { return recordProbe(.failedToRun("cannot prepare the probe")) }
        var fds: [Int32] = [-1, -1]
        guard cm_pipe(&fds, 0) == 0 else { return recordProbe(.failedToRun(SystemError.current("pipe2").description)) }
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devnull >= 0 { close(devnull) } }
        do {
            probePid = try Launcher.exec(into: pid, plan: ExecPlan(argv: spec.argv, sameAs: plan, cgroup: cgroup),
                                         stdio: LaunchStdio(stdin: devnull, stdout: fds[1], stderr: fds[1])).pid
        } catch {
            close(fds[0]); close(fds[1])
            return recordProbe(.failedToRun("\(error)"))
        }
        close(fds[1])
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        probeFD = fds[0]
        probeDeadline = monotonicSeconds() + Double(spec.timeout) / 1e9
    }

    private func readProbeOutput() {
        guard probeFD >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(probeFD, &buf, buf.count)
            if n > 0 {
                if probeOutput.count < HealthTracker.maxOutput { probeOutput += buf[0..<n] }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            close(probeFD)
            probeFD = -1
            return
        }
    }

    private func finishProbe(status: Int32) {
        readProbeOutput()
        if probeFD >= 0 { close(probeFD); probeFD = -1 }
        probePid = 0
        probeDeadline = nil
        recordProbe(probeTimedOut ? .timedOut : .exited(ContainerMonitor.exitCode(status)))
    }

    /// Feeds a result to the tracker, schedules the next probe, and writes
    /// the health to state.json when it changed (only that field: the CLI
    /// may have written `paused` meanwhile).
    private func recordProbe(_ outcome: ProbeResult.Outcome) {
        guard var tracker = healthTracker, let spec = record.healthcheck else { return }
        let end = Self.nowNanos()
        tracker.record(ProbeResult(start: probeStart, end: end, outcome: outcome,
                                   output: String(decoding: probeOutput, as: UTF8.self)))
        let delay = tracker.nextDelay(at: end)
        healthTracker = tracker
        if pid > 0 && exitStatus == nil { nextProbeAt = monotonicSeconds() + Double(delay) / 1e9 }
        let health = HealthState(status: tracker.status.rawValue, failingStreak: tracker.failingStreak,
                                 report: tracker.status == .unhealthy ? tracker.failureReport(command: spec.text) : [])
        guard health != state.health else { return }
        state.health = health
        _ = try? store.updateState(id: record.id) { $0.health = health }
    }

    // MARK: Exit and restart

    private func processExited() {
        guard let status = exitStatus else { return }
        for s in [LogStream.stdout, .stderr] { readOutput(stream: s) }
        let now = Timestamp.now()
        for e in [outSplit.finish(at: now), errSplit.finish(at: now)].compactMap({ $0 }) { try? log?.write(e) }
        closeProcessFDs()
        exitStatus = nil
        drainDeadline = nil
        stopDeadline = nil
        let code = ContainerMonitor.exitCode(status)
        // No probing a process that is gone (a probe still running dies with
        // the container's PID namespace and is reaped as usual).
        nextProbeAt = nil
        probeDeadline = nil
        healthTracker = nil
        healthPlan = nil
        // A `--rm` container is not restarted: its removal starts now, and a
        // `run --rm` attached releases the network meanwhile (`removing`).
        let removedAtExit = record.autoRemove && record.restart == .no
        if removedAtExit {
            broadcastAttached(FrameCodec.encode(.removing, text: String(code)))
        }
        let oom = cgroup?.oomKilled() ?? false
        // The container's init is gone; whatever is left in its cgroup goes too.
        try? cgroup?.destroy()
        cgroup = nil
        let ranFor = monotonicSeconds() - startedMonotonic
        // A user stop recorded by the CLI (monitor-less paths) counts too.
        // It decides only about a restart: a `--rm` container without a
        // restart policy (the usual `run --rm`) is not read again on its way
        // out.
        if !removedAtExit,
           let disk = try? store.state(id: record.id), disk.stoppedByUser {
            state.stoppedByUser = true
        }
        let restart = record.restart.shouldRestart(exitCode: code, restartCount: state.restartCount,
                                                   stoppedByUser: state.stoppedByUser)
        state.markExited(exitCode: code, oomKilled: oom, at: now, restarting: restart)
        pid = 0
        // A `--rm` container's final exit is not written: `finish` removes
        // the record (and writes the state only if that fails). A crash in
        // between leaves "running" with the monitor and process gone, which
        // `ContainerOperations.snapshot` reads as exited.
        if restart || !record.autoRemove { try? saveState() }
        if restart {
            broadcastAttached(FrameCodec.encode(.exit, text: String(code)))
            for c in clients { if case .attached = c.role { drop(c) } }
            restartAt = monotonicSeconds() + backoff.next(ranFor: ranFor)
        } else {
            finish(code: code, exitFrame: true)
        }
    }

    /// Final exit: remove for `--rm` (before anyone hears of the exit, so a
    /// foreground `run --rm` returns with the container gone: cgroup
    /// removed, record out of the store, name free, network namespace
    /// unpinned, anonymous volumes removed), answer attached clients,
    /// waiters and stoppers, stop looping. Only the deletion of the
    /// record's files (on a discard-mounted disk, milliseconds per file)
    /// comes after the answer, before the monitor exits; were it killed in
    /// between, the next `create` deletes them.
    private func finish(code: Int32, exitFrame: Bool = false) {
        finalCode = code
        if record.autoRemove {
            do { removed = try store.detach(id: record.id) } catch { try? saveState() }
            // A namespace berth pinned for the container (`berth run` on a
            // network): unpinned, the kernel deletes it with its veth; the
            // CLI (or the next attach) releases the network's bookkeeping.
            if let path = record.pinnedNetworkNamespace(under: store.paths) {
                _ = umount2(path, Int32(MNT_DETACH))
                _ = unlink(path)
            }
            // --rm also removes the container's anonymous volumes, as Docker does.
            let volumes = NamedVolumes(paths: store.paths)
            for m in record.host.mounts where m.type == "volume" && NamedVolumes.isAnonymous(m.source) {
                try? volumes.remove(m.source)
            }
        }
        if exitFrame { broadcastAttached(FrameCodec.encode(.exit, text: String(code))) }
        for c in clients {
            switch c.role {
            case .waiter: send(c, "exit \(code)\n")
            case .stopper: send(c, "ok\n")
            default: break
            }
            close(c.fd)
        }
        clients.removeAll()
        done = true
    }

    /// Docker's exit code: the status, or 128+N for a signal.
    public static func exitCode(_ status: Int32) -> Int32 {
        let sig = status & 0x7f
        if sig == 0 { return (status >> 8) & 0xff }
        return 128 + sig
    }

    private func signalProcess(_ sig: Int32) {
        guard pid > 0 else { return }
        if pidfd >= 0 && cm_pidfd_send_signal(pidfd, sig) == 0 { return }
        kill(pid, sig)
    }

    // MARK: Control socket

    private func accept() {
        let fd = cm_accept(listenFD)
        guard fd >= 0 else { return }
        clients.append(Client(fd: fd))
    }

    private func drop(_ c: Client) {
        if case .attached(let stdin) = c.role, stdin, record.process.openStdin, !record.process.tty, stdinFD >= 0 {
            // Docker's StdinOnce: the attached stdin going away closes the container's stdin.
            close(stdinFD); stdinFD = -1
        }
        close(c.fd)
        clients.removeAll { $0 === c }
    }

    private func send(_ c: Client, _ text: String) {
        try? StateFile.writeAll(fd: c.fd, Array(text.utf8), path: "monitor client")
    }

    private func broadcastAttached(_ frame: [UInt8]) {
        for c in clients {
            if case .attached = c.role {
                do { try StateFile.writeAll(fd: c.fd, frame, path: "attach") } catch { drop(c) }
            }
        }
    }

    private func readClient(_ c: Client) {
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        let n = read(c.fd, &buf, buf.count)
        if n < 0 && errno == EINTR { return }
        if n <= 0 {
            if case .attached(let stdin) = c.role, stdin, stdinFD >= 0, !record.process.tty {
                close(stdinFD); stdinFD = -1
            }
            close(c.fd)
            clients.removeAll { $0 === c }
            return
        }
        switch c.role {
        case .attached:
            attachedInput(c, buf[0..<n])
        case .request:
            c.line.append(contentsOf: buf[0..<n])
            guard let nl = c.line.firstIndex(of: 0x0a) else {
                if c.line.count > 4096 { drop(c) }
                return
            }
            let rest = Array(c.line[(nl + 1)...])
            let text = String(decoding: c.line[..<nl], as: UTF8.self)
            c.line = []
            handle(c, MonitorRequest.parse(text), leftover: rest)
        case .waiter, .stopper:
            break  // they only wait for the answer
        }
    }

    /// Frames from an attached client: stdin data, stdin close, resize.
    private func attachedInput(_ c: Client, _ bytes: some Collection<UInt8>) {
        guard case .attached(let stdin) = c.role else { return }
        for (type, payload) in c.frames.feed(bytes) {
            switch type {
            case .stdin?:
                if stdin, stdinFD >= 0 { try? StateFile.writeAll(fd: stdinFD, payload, path: "container stdin") }
            case .stdinClose?:
                if stdin, stdinFD >= 0, !record.process.tty { close(stdinFD); stdinFD = -1 }
            case .resize?:
                let f = String(decoding: payload, as: UTF8.self).split(separator: " ")
                if f.count == 2, let r = UInt16(f[0]), let col = UInt16(f[1]) { resize(r, col) }
            default: break
            }
        }
    }

    /// TIOCSWINSZ on the master; the kernel signals SIGWINCH to the
    /// terminal's foreground process group itself (as with Docker, nothing
    /// else is signalled).
    private func resize(_ rows: UInt16, _ cols: UInt16) {
        pendingSize = WindowSize(rows: rows, cols: cols)
        if ptyMaster >= 0 { _ = cm_set_winsize(ptyMaster, rows, cols) }
    }

    private func handle(_ c: Client, _ request: MonitorRequest?, leftover: [UInt8]) {
        switch request {
        case nil:
            send(c, "error unknown request\n")
            drop(c)
        case .status?:
            send(c, ((try? RecordCoding.encode(state).compact) ?? "{}") + "\n")
            drop(c)
        case .wait?:
            c.role = .waiter
        case .stop(let timeout)?:
            state.stoppedByUser = true
            try? saveState()
            if restartAt != nil {
                // Waiting to restart: nothing runs, the stop just ends it.
                restartAt = nil
                state.status = .exited
                try? saveState()
                c.role = .stopper
                finish(code: state.exitCode)
                return
            }
            guard pid > 0, exitStatus == nil else { send(c, "ok\n"); drop(c); return }
            c.role = .stopper
            signalProcess(SignalName.parse(record.process.stopSignal) ?? SIGTERM)
            if timeout >= 0 { stopDeadline = monotonicSeconds() + Double(timeout) }
        case .kill(let sig)?:
            guard pid > 0, exitStatus == nil else {
                send(c, "error container \(record.id) is not running\n"); drop(c); return
            }
            if [SIGKILL, SIGTERM, SIGINT, SIGQUIT].contains(sig) {
                state.stoppedByUser = true
                try? saveState()
            }
            signalProcess(sig)
            send(c, "ok\n")
            drop(c)
        case .start?:
            if pid > 0 || exitStatus != nil { send(c, "ok\n"); drop(c); return }
            switch startProcess() {
            case .success: send(c, "ok\n")
            case .failure(let f): send(c, "error \(f.exitCode) \(f.message)\n")
            }
            drop(c)
        case .attach(let stdin, let rows, let cols)?:
            c.role = .attached(stdin: stdin)
            pendingSize = WindowSize(rows: rows, cols: cols)
            if pid == 0 && exitStatus == nil && restartAt == nil && deferStart && state.startedAt.isZero {
                _ = startProcess()
            } else if pid > 0 {
                resize(rows, cols)
            }
            if !leftover.isEmpty { attachedInput(c, leftover) }
        }
    }
}

/// Identifies a process across pid reuse, and reads what the kernel says
/// about how a container ended.
public enum ProcessIdentity {
    /// What /proc/<pid>/stat says about a process: its name (field 2),
    /// state (field 3) and start time in clock ticks (field 22). One read.
    public struct Stat: Equatable, Sendable {
        public var name: String
        public var state: Character
        public var startTime: UInt64
    }

    public static func stat(pid: Int32) -> Stat? {
        guard let text = try? StateFile.readText("/proc/\(pid)/stat"),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); start time is field 22.
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return Stat(name: String(text[text.index(after: open)..<close]), state: state, startTime: start)
    }

    /// Field 22 of /proc/<pid>/stat (start time in clock ticks).
    public static func startTime(pid: Int32) -> UInt64? {
        stat(pid: pid)?.startTime
    }

    /// Whether `pid` is still the process that was recorded (and not a
    /// zombie); `named` also checks its name.
    public static func isAlive(pid: Int32, startTime: UInt64, named name: String? = nil) -> Bool {
        guard pid > 0, let now = stat(pid: pid), now.state != "Z" else { return false }
        if let name, now.name != name { return false }
        return startTime == 0 || now.startTime == startTime
    }
}
