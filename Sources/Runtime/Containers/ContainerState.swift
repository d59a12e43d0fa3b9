import Synchronization

/// Docker's container statuses.
public enum ContainerStatus: String, Codable, Sendable, CaseIterable {
    case created, running, paused, restarting, removing, exited, dead
}

/// What a container is doing: `<root>/containers/<id>/state.json`.
/// The monitor writes it at every transition; the CLI reads it (and writes
/// it only when no monitor is alive).
public struct ContainerState: Codable, Sendable, Equatable {
    public var status: ContainerStatus
    /// The container's init process as seen from the host; 0 when not running.
    public var pid: Int32
    /// The start time of `pid` (/proc/<pid>/stat field 22), so a reused pid
    /// is never mistaken for the container.
    public var pidStart: UInt64
    /// The berth-monitor process; 0 when none.
    public var monitorPid: Int32
    public var startedAt: Timestamp
    public var finishedAt: Timestamp
    public var exitCode: Int32
    public var oomKilled: Bool
    public var restartCount: Int
    /// Why the last start failed (Docker's State.Error).
    public var error: String
    /// Set by `stop`/`kill` from the user: the restart policy does not
    /// restart such an exit, and `unless-stopped` stays down.
    public var stoppedByUser: Bool
    /// Set when the monitor died and berth found the container orphaned.
    public var monitorLost: Bool
    /// The healthcheck's verdict while the container runs (nil without one).
    public var health: HealthState? = nil
    /// The monitor's start time (field 22 of /proc/PID/stat): with
    /// `monitorPid`, which process is this container's monitor, across pid
    /// reuse. nil in states written before it was recorded.
    public var monitorStart: UInt64? = nil

    public init(status: ContainerStatus = .created, pid: Int32 = 0, pidStart: UInt64 = 0, monitorPid: Int32 = 0,
                startedAt: Timestamp = .zero, finishedAt: Timestamp = .zero, exitCode: Int32 = 0,
                oomKilled: Bool = false, restartCount: Int = 0, error: String = "", stoppedByUser: Bool = false,
                monitorLost: Bool = false) {
        self.status = status
        self.pid = pid
        self.pidStart = pidStart
        self.monitorPid = monitorPid
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.restartCount = restartCount
        self.error = error
        self.stoppedByUser = stoppedByUser
        self.monitorLost = monitorLost
    }

    /// Running in Docker's sense: running, paused or restarting.
    public var isActive: Bool { status == .running || status == .paused || status == .restarting }
}

/// Operations on a container, for state checks.
public enum LifecycleOperation: String, Sendable {
    case start, stop, kill, exec, pause, unpause, remove, attach, restart, top, stats
}

/// A misuse of a container's lifecycle ("cannot exec: web-1 is not running").
public struct LifecycleError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ContainerState {
    /// Checks that `operation` is allowed now; throws Docker-like wording
    /// otherwise. `force` applies to `remove`.
    public func check(_ operation: LifecycleOperation, name: String, force: Bool = false) throws {
        switch operation {
        case .exec, .attach, .top, .kill, .pause:
            if status == .paused && operation != .kill {
                if operation == .pause { throw LifecycleError("cannot pause: \(name) is already paused") }
                throw LifecycleError("cannot \(operation.rawValue): \(name) is paused, unpause it first")
            }
            if status == .restarting && operation != .kill {
                throw LifecycleError("cannot \(operation.rawValue): \(name) is restarting, wait until the container is running")
            }
            guard isActive else { throw LifecycleError("cannot \(operation.rawValue): \(name) is not running") }
        case .unpause:
            guard status == .paused else { throw LifecycleError("cannot unpause: \(name) is not paused") }
        case .stats:
            break
        case .start:
            if status == .paused { throw LifecycleError("cannot start: \(name) is paused, unpause it instead") }
            if status == .removing || status == .dead { throw LifecycleError("cannot start: \(name) is \(status.rawValue)") }
        case .stop, .restart:
            if status == .removing { throw LifecycleError("cannot \(operation.rawValue): \(name) is being removed") }
        case .remove:
            if isActive && !force {
                throw LifecycleError("cannot remove container \"\(name)\": container is \(status == .paused ? "paused" : "running"): stop the container before removing or force remove")
            }
        }
    }

    /// The process started (first start or a restart).
    public mutating func markStarted(pid: Int32, at time: Timestamp, isRestart: Bool) {
        status = .running
        self.pid = pid
        startedAt = time
        error = ""
        oomKilled = false
        if isRestart { restartCount += 1 } else { stoppedByUser = false }
    }

    /// The process exited with `exitCode`; the policy decides what comes next.
    public mutating func markExited(exitCode: Int32, oomKilled: Bool, at time: Timestamp, restarting: Bool) {
        status = restarting ? .restarting : .exited
        pid = 0
        pidStart = 0
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        finishedAt = time
    }

    /// The process could not be started (Docker's 126/127/125 cases). A
    /// container that never ran stays `created`, as Docker's does.
    public mutating func markStartFailed(exitCode: Int32, message: String, at time: Timestamp) {
        status = startedAt.isZero ? .created : .exited
        pid = 0
        self.exitCode = exitCode
        error = message
        finishedAt = time
    }
}

/// A container's lifecycle state behind a lock, for code that shares it
/// between threads (the monitor's loop and its control socket readers).
public final class ContainerLifecycle: Sendable {
    public let name: String
    private let state: Mutex<ContainerState>

    public init(name: String, state: ContainerState) {
        self.name = name
        self.state = Mutex(state)
    }

    public var current: ContainerState { state.withLock { $0 } }

    /// Checks `operation` and, when allowed, applies `change` atomically.
    public func perform<R>(_ operation: LifecycleOperation, force: Bool = false,
                           _ change: (inout ContainerState) throws -> R) throws -> R {
        try state.withLock { s in
            try s.check(operation, name: name, force: force)
            return try change(&s)
        }
    }

    public func update(_ change: (inout ContainerState) -> Void) {
        state.withLock { change(&$0) }
    }
}
