import Networking
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

/// `berth run` on the default network also makes its container's network
/// namespace before the command line is parsed, on a thread of its own
/// (`PremadeNetworkNamespace`), pinned once the container has an id. The
/// guess is made on the arguments: no `--network`/`--net` (Docker's default,
/// the `bridge` network). A wrong guess costs a namespace that is dropped.
enum RunNamespaceAhead {
    nonisolated(unsafe) private static var premade: PremadeNetworkNamespace?

    static func start(_ argv: [String]) {
        guard argv.first == "run", geteuid() == 0 else { return }
        for a in argv.dropFirst() {
            if a == "--" || !a.hasPrefix("-") { break }   // the image: the rest is the container's command
            if a.hasPrefix("--network") || a.hasPrefix("--net") { return }
        }
        premade = PremadeNetworkNamespace.begin()
    }

    /// The namespace made ahead, if any (once).
    static func take() -> PremadeNetworkNamespace? {
        defer { premade = nil }
        return premade
    }
}
