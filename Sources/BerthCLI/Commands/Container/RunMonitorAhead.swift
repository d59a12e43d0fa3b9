import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth run` spawns its container's berth-monitor before the command line
/// is parsed: the monitor execs and warms up on the other CPU during the
/// parse (≈ 4 ms of ArgumentParser) instead of after it. It is told which
/// container it monitors only once the record exists
/// (`MonitorLaunch.release`), so this scan of the arguments is a guess that
/// can be wrong without harm: a monitor nobody takes (a usage error,
/// `--help`) ends when this process exits, having touched nothing.
enum RunMonitorAhead {
    /// Set on the main thread before parsing; taken by `RunCommand`, which
    /// runs on the main thread too (a `MainThreadCommand`).
    nonisolated(unsafe) private static var spawning: ContainerOperations.PendingMonitorLaunch?

    /// Spawns the monitor when `argv` (global options hoisted) runs `run`
    /// as root, on a thread of its own: posix_spawn returns only once the
    /// monitor has exec'ed, and this process parses meanwhile.
    static func start(_ argv: [String]) {
        guard argv.first == "run", geteuid() == 0 else { return }
        let executable = ContainerOperations.monitorBesideExecutable()
        spawning = try? ContainerOperations.beginSpawnMonitorAwaitingRecord(executable: executable)
    }

    /// The monitor spawned ahead, if any (once); nil when its spawn failed
    /// (`run` then spawns one itself and reports that failure).
    static func take() -> ContainerOperations.MonitorLaunch? {
        defer { spawning = nil }
        return try? spawning?.wait()
    }
}
