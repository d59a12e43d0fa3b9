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
    nonisolated(unsafe) private static var spawned: ContainerOperations.MonitorLaunch?

    /// Spawns the monitor when `argv` (global options hoisted) runs `run`
    /// as root.
    static func start(_ argv: [String]) {
        guard argv.first == "run", geteuid() == 0 else { return }
        let executable = ContainerOperations.monitorBesideExecutable()
        guard let launch = try? ContainerOperations.spawnMonitorAwaitingRecord(executable: executable) else { return }
        spawned = launch
    }

    /// The monitor spawned ahead, if any (once).
    static func take() -> ContainerOperations.MonitorLaunch? {
        defer { spawned = nil }
        return spawned
    }
}
