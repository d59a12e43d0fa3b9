import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The `berth-monitor` executable's entry point:
/// `berth-monitor --root DIR --run DIR --id ID [--defer-start] --ready-fd N`
/// or `berth-monitor --await-record --ready-fd N`.
/// Started by the CLI with posix_spawn in a new session (setsid) with
/// stdio on /dev/null; it outlives the CLI. With `--await-record` it is
/// spawned before its container exists (it starts up while the CLI parses
/// its command line, looks up the image and writes the record) and reads a
/// `MonitorAssignment` from the ready descriptor (a socket then) before it
/// reads the record; anything else (the CLI gave up, or died) ends it
/// having touched nothing.
public enum MonitorMain {
    public static func run(_ arguments: [String]) -> Int32 {
        var root: String?, runDir: String?, id: String?
        var deferStart = false, awaitRecord = false
        var readyFD: Int32 = -1
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            let value = i + 1 < arguments.count ? arguments[i + 1] : nil
            switch a {
            case "--root": root = value; i += 1
            case "--run": runDir = value; i += 1
            case "--id": id = value; i += 1
            case "--ready-fd": readyFD = value.flatMap { Int32($0) } ?? -1; i += 1
            case "--defer-start": deferStart = true
            case "--await-record": awaitRecord = true
            default:
                usage("unknown argument \(a)")
                return 2
            }
            i += 1
        }
        if awaitRecord {
            guard root == nil, runDir == nil, id == nil, !deferStart, readyFD >= 0 else {
                usage("--await-record takes only --ready-fd")
                return 2
            }
            // Idle until the CLI has written the record: the part of the
            // start that no record decides (touches nothing).
            LauncherStarter.warmUp()
            guard let line = UnixSocket.readLine(readyFD), let assigned = MonitorAssignment(line: line) else { return 0 }
            (root, runDir, id, deferStart) = (assigned.root, assigned.run, assigned.id, assigned.deferStart)
        }
        guard let root, let runDir, let id else {
            usage("--root, --run and --id are required")
            return 2
        }
        let store = ContainerStore(paths: StatePaths(root: root, run: runDir))
        do {
            let monitor = try ContainerMonitor(store: store, id: id, starter: LauncherStarter(store: store), deferStart: deferStart)
            return monitor.run(readyFD: readyFD)
        } catch {
            if readyFD >= 0 {
                try? StateFile.writeAll(fd: readyFD, Array("error 125 berth-monitor: \(error)\n".utf8), path: "ready pipe")
            }
            return 125
        }
    }

    private static func usage(_ problem: String) {
        let text = "berth-monitor: \(problem)\nusage: berth-monitor --root DIR --run DIR --id ID [--defer-start] [--ready-fd N]\n       berth-monitor --await-record --ready-fd N\n"
        try? StateFile.writeAll(fd: 2, Array(text.utf8), path: "stderr")
    }
}
