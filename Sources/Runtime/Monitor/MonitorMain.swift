import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The `berth-monitor` executable's entry point:
/// `berth-monitor --root DIR --run DIR --id ID [--defer-start] [--ready-fd N] [--await-record]`.
/// Started by the CLI with posix_spawn in a new session (setsid) with
/// stdio on /dev/null; it outlives the CLI. With `--await-record` it is
/// spawned before the container's record exists (it starts up while the
/// CLI looks up the image and writes the record) and reads `go` from the
/// ready descriptor (a socket then) before it reads the record; anything
/// else (the CLI gave up, or died) ends it having touched nothing.
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
        guard let root, let runDir, let id else {
            usage("--root, --run and --id are required")
            return 2
        }
        if awaitRecord {
            // Idle until the CLI has written the record: the part of the
            // start that no record decides (touches nothing).
            LauncherStarter.warmUp()
            if readyFD < 0 || UnixSocket.readLine(readyFD) != "go" { return 0 }
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
        let text = "berth-monitor: \(problem)\nusage: berth-monitor --root DIR --run DIR --id ID [--defer-start] [--ready-fd N] [--await-record]\n"
        try? StateFile.writeAll(fd: 2, Array(text.utf8), path: "stderr")
    }
}
