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

    /// Prints new log lines until every container has exited (returns 0) or
    /// Ctrl-C (stops the project's containers gracefully; a second Ctrl-C
    /// kills them) which exits 130.
    func attachUntilInterrupted(stopTimeout: Int?) async throws {
        signal(SIGINT) { _ in interrupts.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in interrupts.add(1, ordering: .relaxed) }
        var tail = LogTail(driver: driver, color: color, timestamps: timestamps, prefix: prefix)
        while true {
            let running = try tail.pump(fromStart: false)
            if interrupts.load(ordering: .relaxed) > 0 {
                writeStderr("Gracefully stopping... (press Ctrl+C again to force)")
                try await stopAll()
                _ = try tail.pump(fromStart: false)
                throw ExitCode(130)
            }
            if !running { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// Stops every container of the project, dependents first.
    func stopAll() async throws {
        let graph = try ServiceGraph(project)
        let byService = Dictionary(grouping: try driver.actualContainers(), by: { $0.actual.service })
        for wave in graph.stopWaves() {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in wave {
                    for (record, _) in byService[service] ?? [] {
                        group.addTask {
                            if interrupts.load(ordering: .relaxed) > 1 {
                                try? await driver.kill(record.name)
                            } else {
                                try await driver.stop(record.name)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// Reads what was appended to each container's JSON log since last time.
struct LogTail {
    let driver: ComposeDriver
    var prefixer: LogPrefixer
    private var offsets: [String: UInt64] = [:]
    private var partial: [String: String] = [:]

    init(driver: ComposeDriver, color: Bool, timestamps: Bool, prefix: Bool) {
        self.driver = driver
        prefixer = LogPrefixer(names: [], options: .init(color: color, timestamps: timestamps, prefix: prefix))
        prefixer.assignColors(services: driver.project.services.map(\.name))
    }

    /// Prints new lines of every container; returns whether any is still up.
    mutating func pump(fromStart: Bool, services: Set<String>? = nil, tailLines: Int? = nil) throws -> Bool {
        var anyUp = false
        for (record, actual) in try driver.actualContainers().sorted(by: { $0.record.name < $1.record.name }) {
            if let services, !services.contains(actual.service) { continue }
            switch actual.status {
            case .running, .restarting, .paused, .created: anyUp = true
            default: break
            }
            let path = driver.logPath(record)
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            var offset = offsets[record.id] ?? (fromStart ? 0 : size)
            if offset > size { offset = 0 }  // rotated
            try handle.seek(toOffset: offset)
            let data = handle.readDataToEndOfFile()
            offsets[record.id] = offset + UInt64(data.count)
            var text = partial[record.id, default: ""] + String(decoding: data, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            partial[record.id] = lines.removeLast()
            if let tailLines, lines.count > tailLines { lines = Array(lines.suffix(tailLines)) }
            text = ""
            for line in lines where !line.isEmpty {
                guard let value = try? RecordJSON.parse(line), var log = value["log"]?.stringValue else { continue }
                if log.hasSuffix("\n") { log.removeLast() }
                print(prefixer.format(container: record.name, service: actual.service, line: log,
                                      timestamp: value["time"]?.stringValue))
            }
        }
        fflush(nil)
        return anyUp
    }
}
