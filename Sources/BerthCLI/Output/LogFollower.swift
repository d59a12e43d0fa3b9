import ArgumentParser
import Compose
import Engine
import Foundation
import Runtime
import Synchronization

/// Ctrl-C count; the signal handler only bumps it.
let interrupts = Atomic<Int>(0)

/// Follows the JSON logs of every container of a project, by service, so
/// containers that start, restart or are recreated later keep streaming.
/// Used by attached `up` and by `compose logs -f`.
struct ProjectLogFollower {
    let driver: ComposeDriver
    let project: Project
    var color: Bool
    var timestamps: Bool
    var prefix: Bool = true
    /// Services whose output is shown (`up --attach/--no-attach`); nil: all.
    var shown: Set<String>? = nil
    /// Services whose containers are watched for exits and stopped on Ctrl-C
    /// or abort (those named to `up`, else all it started); nil: all.
    var watched: Set<String>? = nil
    /// When a watched container's exit stops them all.
    var abort: Abort = .never
    /// `--exit-code-from`: the service whose exit code berth returns.
    var exitCodeFrom: String? = nil

    /// Prints new log lines and `<name> exited with code N` until every
    /// watched container has exited (returns 0, or `exitCodeFrom`'s code),
    /// a container exits under `abort` (stops the watched ones, returns that
    /// container's code, or `exitCodeFrom`'s), or Ctrl-C (stops them
    /// gracefully; a second Ctrl-C kills them) which exits 130.
    /// `tail` may come marked (`LogTail.markCurrentEnds`) from before the
    /// containers started, so nothing they printed is missed; containers
    /// named in `alreadyExited` had exited before and are not reported.
    func attachUntilInterrupted(stopTimeout: Int?, tail marked: LogTail? = nil,
                                alreadyExited: Set<String> = []) async throws -> Int32 {
        signal(SIGINT) { _ in interrupts.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in interrupts.add(1, ordering: .relaxed) }
        var tail = marked ?? LogTail(driver: driver, color: color, timestamps: timestamps, prefix: prefix)
        var exits = ExitWatch(alreadyExited: alreadyExited)
        /// `<name> exited with code N` for the shown services.
        func announce(_ exits: [ExitWatch.Exit]) {
            for c in exits where shown?.contains(c.container.service) ?? true {
                print("\(c.container.name) exited with code \(c.code)")
            }
            fflush(nil)
        }
        while true {
            let listed = try driver.actualContainers()
            let containers = listed.map(\.actual).filter { !$0.oneOff }
            _ = try tail.pump(fromStart: marked != nil, services: shown, listed: listed)
            let watchedNow = containers.filter { watched?.contains($0.service) ?? true }
            let exited = exits.newExits(watchedNow)
            announce(exited)
            if interrupts.load(ordering: .relaxed) > 0 {
                writeStderr("Gracefully stopping... (press Ctrl+C again to force)")
                try await stopAll(timeout: stopTimeout)
                _ = try tail.pump(fromStart: marked != nil, services: shown)
                throw ExitCode(130)
            }
            if let first = exited.first(where: { abort.triggers(on: $0.code) }) {
                print("Aborting on container exit...")
                fflush(nil)
                try await stopAll(timeout: stopTimeout)
                _ = try tail.pump(fromStart: marked != nil, services: shown)
                let stopped = exits.newExits(try driver.actualContainers().map(\.actual)
                    .filter { !$0.oneOff && (watched?.contains($0.service) ?? true) })
                announce(stopped)
                guard let service = exitCodeFrom else { return first.code }
                return try exitCode(of: service, preferring: exited + stopped)
            }
            if !watchedNow.contains(where: { ExitWatch.isUp($0.status) }) {
                guard let service = exitCodeFrom else { return 0 }
                return try exitCode(of: service, preferring: exited)
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// The exit code of `service`'s (first) container, once it has exited.
    private func exitCode(of service: String, preferring exited: [ExitWatch.Exit]) throws -> Int32 {
        if let seen = exited.first(where: { $0.container.service == service }) { return seen.code }
        let containers = try driver.actualContainers().map(\.actual)
            .filter { !$0.oneOff && $0.service == service }.sorted { $0.number < $1.number }
        for c in containers { if case let .exited(code) = c.status { return code } }
        return 0
    }

    /// Stops the watched containers (not one-offs), dependents first.
    func stopAll(timeout: Int? = nil) async throws {
        let graph = try ServiceGraph(project)
        let byService = Dictionary(grouping: try driver.actualContainers().filter {
            !$0.actual.oneOff && (watched?.contains($0.actual.service) ?? true)
        }, by: { $0.actual.service })
        for wave in graph.stopWaves() {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in wave {
                    for (record, _) in byService[service] ?? [] {
                        group.addTask {
                            if interrupts.load(ordering: .relaxed) > 1 {
                                try? await driver.kill(record.name)
                            } else {
                                try await driver.stop(record.name, timeout: timeout)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// `up --abort-on-container-exit` (any exit) / `--abort-on-container-failure` (non-zero).
enum Abort: Equatable {
    case never, onExit, onFailure

    func triggers(on code: Int32) -> Bool {
        switch self {
        case .never: false
        case .onExit: true
        case .onFailure: code != 0
        }
    }
}

/// Which containers exited since the last look: a container is reported
/// once per exit (again after it runs again).
struct ExitWatch {
    struct Exit {
        var container: ActualContainer
        var code: Int32
    }

    /// Container names (or ids) not to report until they run again.
    private var reported: Set<String>

    init(alreadyExited: Set<String> = []) { reported = alreadyExited }

    static func isUp(_ status: ActualContainer.Status) -> Bool {
        switch status {
        case .running, .restarting, .paused, .created: true
        case .exited, .dead: false
        }
    }

    /// The containers that have exited and were not reported yet, by name.
    mutating func newExits(_ containers: [ActualContainer]) -> [Exit] {
        var out: [Exit] = []
        for c in containers.sorted(by: { $0.name < $1.name }) {
            if Self.isUp(c.status) {
                reported.remove(c.name)
                continue
            }
            guard reported.insert(c.name).inserted else { continue }
            let code: Int32 = if case let .exited(n) = c.status { n } else { 255 }
            out.append(Exit(container: c, code: code))
        }
        return out
    }
}

/// Reads what was appended to each container's JSON log since last time,
/// through the same reader as `berth logs` (rotation followed, lines parsed
/// without a general JSON parser), and prints it with Compose's prefixes.
struct LogTail {
    let driver: ComposeDriver
    var prefixer: LogPrefixer
    /// `--since` / `--until` (Docker's selection; nil = unbounded).
    var since: Timestamp?
    var until: Timestamp?
    private var followers: [String: LogFollower] = [:]

    init(driver: ComposeDriver, color: Bool, timestamps: Bool, prefix: Bool) {
        self.driver = driver
        prefixer = LogPrefixer(names: [], options: .init(color: color, timestamps: timestamps, prefix: prefix))
        prefixer.assignColors(services: driver.project.services.map(\.name))
    }

    /// Remembers where every existing container's log ends now, so a later
    /// `pump(fromStart: true)` shows only what they print from here on (and
    /// containers created after this, from their first line).
    mutating func markCurrentEnds() throws {
        for (record, _) in try driver.actualContainers() {
            var follower = LogFollower(path: driver.logPath(record))
            follower.skipToEnd()
            followers[record.id] = follower
        }
    }

    /// Prints new lines of every container; returns whether any is still up.
    /// A container seen for the first time is read from its first line when
    /// `fromStart` (its rotated files too), else from its current end.
    /// `listed`: the driver's containers when the caller has just listed them.
    mutating func pump(fromStart: Bool, services: Set<String>? = nil, tailLines: Int? = nil,
                       listed: [(record: ContainerRecord, actual: ActualContainer)]? = nil) throws -> Bool {
        var anyUp = false
        var out = StreamBuffer()
        let shown = try (listed ?? driver.actualContainers()).sorted(by: { $0.record.name < $1.record.name }).filter { c in
            // `compose run` containers: their own terminal shows them.
            !c.actual.oneOff && (services?.contains(c.actual.service) ?? true)
        }
        prefixer.widen(to: shown.map(\.record.name))
        fflush(nil)
        for (record, actual) in shown {
            switch actual.status {
            case .running, .restarting, .paused, .created: anyUp = true
            default: break
            }
            let path = driver.logPath(record)
            var entries: [LogEntry] = []
            var follower: LogFollower
            if let known = followers[record.id] {
                follower = known
            } else {
                follower = LogFollower(path: path)
                if fromStart {
                    for file in LogRotation.files(logPath: path, options: record.log).dropLast() {
                        if let bytes = try? StateFile.read(file) { entries += JSONLogReader.parse(bytes[...]).entries }
                    }
                } else {
                    follower.skipToEnd()
                }
            }
            entries += follower.readAvailable()
            followers[record.id] = follower
            let head = Array(prefixer.head(container: record.name, service: actual.service).utf8)
            for e in JSONLogReader.select(entries, since: since, until: until, tail: tailLines) {
                out.append(head, fd: 1)
                if prefixer.options.timestamps { out.append(e.time.fixedNano + " ", fd: 1) }
                let text = e.text.utf8
                out.append(text.last == 10 ? text.dropLast() : text[...], fd: 1)
                out.append(CollectionOfOne(10), fd: 1)
            }
        }
        out.flush()
        if let failure = out.failure { throw failure }
        return anyUp
    }
}
