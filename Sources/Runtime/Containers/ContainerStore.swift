// Runtime owns running containers on this machine: the pure LaunchPlan and
// the Launcher that turns it into namespaces, mounts, cgroups and an exec'd
// process (Spec/ Launch/ Hardening/ Cgroups/ Mounts/), and what keeps a
// container alive after the CLI exits: container records (Containers/), the
// per-container monitor (Monitor/), json-file logs (Logs/) and restart
// policies (Restart/).
// It never parses compose files or talks to registries, and code in
// Containers/ Logs/ Restart/ Monitor/ never imports Foundation: berth-monitor
// links it and must stay small (≤ 2 MB resident).
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Problems with container records that the user caused or can fix.
public enum ContainerStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case noSuchContainer(String)
    case ambiguousPrefix(String)
    case nameInUse(name: String, id: String)
    case invalidName(String)
    case corrupt(id: String, detail: String)

    public var description: String {
        switch self {
        case .noSuchContainer(let ref): return "No such container: \(ref)"
        case .ambiguousPrefix(let p): return "multiple IDs found with provided prefix: \(p)"
        case .nameInUse(let name, let id):
            return "Conflict. The container name \"/\(name)\" is already in use by container \"\(id)\". You have to remove (or rename) that container to be able to reuse that name."
        case .invalidName(let n):
            return "Invalid container name (\(n)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        case .corrupt(let id, let detail): return "container \(id): damaged record: \(detail)"
        }
    }
}

/// Container records on disk:
/// `<root>/containers/<id>/{config.json,state.json,<id>-json.log*}` and the
/// runtime side `<run>/containers/<id>/monitor.sock`.
/// Creating, renaming and removing hold `<root>/containers/.lock`, so names
/// stay unique across concurrent berth processes; state updates hold a
/// lock on the record directory itself (no lock file: one inode fewer to
/// create and delete per container, and a removed record is not re-created
/// by a late update).
public struct ContainerStore: Sendable {
    public let paths: StatePaths

    public init(paths: StatePaths) { self.paths = paths }

    public var containersDirectory: String { "\(paths.root)/containers" }
    public func directory(_ id: String) -> String { "\(containersDirectory)/\(id)" }
    public func runDirectory(_ id: String) -> String { "\(paths.run)/containers/\(id)" }
    public func configPath(_ id: String) -> String { "\(directory(id))/config.json" }
    public func statePath(_ id: String) -> String { "\(directory(id))/state.json" }
    public func logPath(_ id: String) -> String { "\(directory(id))/\(id)-json.log" }
    public func socketPath(_ id: String) -> String { "\(runDirectory(id))/monitor.sock" }
    private var indexLock: String { "\(containersDirectory)/.lock" }

    /// A new random 64-hex-digit id.
    public static func newID() -> String {
        var rng = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<4 {
            let v = rng.next() as UInt64
            let h = String(v, radix: 16)
            text += String(repeating: "0", count: 16 - h.count) + h
        }
        return text
    }

    /// Docker's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    public static func isValidName(_ name: String) -> Bool {
        let b = Array(name.utf8)
        guard b.count >= 2, b.count <= 253 else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) }
        guard alnum(b[0]) else { return false }
        return b.dropFirst().allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Writes a new record (config.json) if its name is free. An empty name
    /// gets a generated Docker-style one. No state.json yet: a missing one
    /// reads as `created` (see `state(id:)`), so the first transition writes it.
    @discardableResult
    public func create(_ record: ContainerRecord) throws -> ContainerRecord {
        var record = record
        if record.name.hasPrefix("/") { record.name.removeFirst() }
        if !record.name.isEmpty && !ContainerStore.isValidName(record.name) {
            throw ContainerStoreError.invalidName(record.name)
        }
        try StateFile.makeDirectories(containersDirectory, mode: 0o710)
        var abandoned: [DetachedRecord] = []
        defer { for a in abandoned { try? a.reclaim() } }
        return try FileLock.withLock(indexLock) {
            let names = StateFile.list(containersDirectory)
            // What a crash left behind (see `claimAbandoned`) is deleted
            // once the record is written and the lock released.
            abandoned = claimAbandoned(names)
            let existing = records(names)
            if record.name.isEmpty {
                record.name = NameGenerator.unique(avoiding: Set(existing.map(\.name)))
            } else if let clash = existing.first(where: { $0.name == record.name }) {
                throw ContainerStoreError.nameInUse(name: record.name, id: clash.id)
            }
            let dir = directory(record.id)
            if !RecordRecycling.claim(names, containers: containersDirectory, as: dir), mkdir(dir, 0o710) != 0 {
                throw SystemError.current("mkdir", dir)
            }
            do {
                // A `--rm` container does not outlive a crash in any useful
                // way (its process is gone, it would be removed at its exit):
                // its record is not fsynced. A crash may leave the file
                // missing or empty; `claimAbandoned` deletes such a directory.
                try StateFile.writeAtomically(configPath(record.id), text: try RecordCoding.encode(record).pretty(),
                                              synced: !record.autoRemove)
            } catch {
                try? StateFile.removeTree(dir)
                throw error
            }
            return record
        }
    }

    /// Every record (config.json present), oldest first. A directory being
    /// created or removed (no config.json yet/anymore) is skipped.
    public func all() throws -> [ContainerRecord] {
        records(StateFile.list(containersDirectory))
    }

    private func records(_ names: [String]) -> [ContainerRecord] {
        var records: [ContainerRecord] = []
        for name in names where name.count == 64 {
            if let r = try? record(id: name) { records.append(r) }
        }
        return records.sorted { $0.created < $1.created }
    }

    /// Whether a record with this ID exists (config.json present).
    public func exists(id: String) -> Bool {
        access(configPath(id), F_OK) == 0
    }

    public func record(id: String) throws -> ContainerRecord {
        guard let text = try StateFile.readText(configPath(id)) else { throw ContainerStoreError.noSuchContainer(id) }
        do { return try RecordCoding.decode(ContainerRecord.self, from: text) } catch {
            throw ContainerStoreError.corrupt(id: id, detail: "\(error)")
        }
    }

    /// A missing state.json reads as none (created); one that does not
    /// decode, empty included, is `.corrupt`: what a machine crash may leave
    /// of an unsynced write (`writeState(synced: false)`, a `--rm`
    /// container's), which `ContainerOperations.snapshot` reads as exited.
    public func state(id: String) throws -> ContainerState {
        guard let text = try StateFile.readText(statePath(id)) else { return ContainerState() }
        do { return try RecordCoding.decode(ContainerState.self, from: text) } catch {
            throw ContainerStoreError.corrupt(id: id, detail: "\(error)")
        }
    }

    /// Replaces state.json atomically. Not `durable`: a crash may bring back
    /// the previous state (or none, read as `created`), and every reader
    /// converges from a stale one — `ContainerOperations.snapshot` turns
    /// "running" with its monitor and process gone into "exited", and the
    /// container's processes do not survive the crash anyway. Without
    /// `synced` not even the file is fsynced (a crash may also leave it
    /// empty or torn, which `snapshot` reads as exited): for a `--rm` container, whose record is
    /// not synced either — its fsync delayed the reaping of a short-lived
    /// process by the device's latency (1–15 ms here under load).
    public func writeState(id: String, _ state: ContainerState, synced: Bool = true) throws {
        try StateFile.writeAtomically(statePath(id), text: try RecordCoding.encode(state).pretty(), durable: false,
                                      synced: synced)
    }

    /// Runs `body` holding the container's lock (state updates, and so a
    /// start, wait for it). `body` must not update the state itself.
    public func withRecordLock<R>(id: String, _ body: () throws -> R) throws -> R {
        try FileLock.withDirectoryLock(directory(id), body)
    }

    /// Read-modify-write of state.json under the container's lock (no write
    /// when `change` leaves the state as it was); `synced` as in `writeState`.
    @discardableResult
    public func updateState(id: String, synced: Bool = true,
                            _ change: (inout ContainerState) throws -> Void) throws -> ContainerState {
        try FileLock.withDirectoryLock(directory(id)) {
            let old = try state(id: id)
            var s = old
            try change(&s)
            if s != old { try writeState(id: id, s, synced: synced) }
            return s
        }
    }

    /// Resolves what the user typed: a full id, an exact name (with or
    /// without `/`), or a unique id prefix — in Docker's order.
    public func lookup(_ reference: String) throws -> ContainerRecord {
        try ContainerStore.resolve(reference, in: all())
    }

    /// Pure lookup over a list of records.
    public static func resolve(_ reference: String, in records: [ContainerRecord]) throws -> ContainerRecord {
        var ref = reference
        if ref.hasPrefix("/") { ref.removeFirst() }
        guard !ref.isEmpty else { throw ContainerStoreError.noSuchContainer(reference) }
        if let r = records.first(where: { $0.id == ref }) { return r }
        if let r = records.first(where: { $0.name == ref }) { return r }
        let matches = records.filter { $0.id.hasPrefix(ref.lowercased()) }
        if matches.count > 1 { throw ContainerStoreError.ambiguousPrefix(ref) }
        if let r = matches.first { return r }
        throw ContainerStoreError.noSuchContainer(reference)
    }

    /// Deletes the record directory and the runtime directory. The caller
    /// has already stopped the process and undone mounts and cgroups.
    /// The name index is locked only while the record is taken out
    /// (`detach`), not while its files are deleted: removals of several
    /// containers (`compose down`) overlap instead of queueing on the lock.
    public func remove(id: String) throws {
        try detach(id: id).reclaim()
    }

    /// Where removed records wait for deletion:
    /// `<containers>/.removed-<id>.<pid>.<start time>`, named after the process that deletes it.
    static let trashPrefix = ".removed-"

    /// The process that owns a trash entry: pid and start time (see `ProcessIdentity`).
    static let ownerToken: String = {
        let pid = getpid()
        return "\(pid).\(ProcessIdentity.startTime(pid: pid) ?? 0)"
    }()

    /// Takes the record out of the store: under the name index lock its
    /// directory is renamed to a trash entry (one metadata update, no
    /// block freed), after which lookups, names and `ps` no longer see the
    /// container. Its files stay until `reclaim()`; if this process dies
    /// before that, the next `create` deletes them (`claimAbandoned`).
    /// A record that is already gone gives an empty `DetachedRecord`.
    public func detach(id: String) throws -> DetachedRecord {
        try FileLock.withLock(indexLock) {
            let dir = directory(id)
            let trash = "\(containersDirectory)/\(Self.trashPrefix)\(id).\(Self.ownerToken)"
            if rename(dir, trash) != 0 {
                if errno != ENOENT { throw SystemError.current("rename", "\(dir) to \(trash)") }
                return DetachedRecord(id: id, trash: nil, runDirectory: runDirectory(id))
            }
            return DetachedRecord(id: id, trash: trash, runDirectory: runDirectory(id))
        }
    }

    /// Under the index lock: trash entries whose owner is gone (a monitor
    /// or CLI killed between `detach` and `reclaim`) and record directories
    /// without a config.json or with an empty one (records are created with
    /// their config.json under this lock, so such a directory is a remnant:
    /// a crash in an older removal, a `--rm` record's unsynced config.json
    /// lost in a machine crash, a record lock re-created after a removal), each
    /// renamed to a trash entry of this process, to be reclaimed after the
    /// lock is released.
    func claimAbandoned(_ names: [String]) -> [DetachedRecord] {
        var claimed: [DetachedRecord] = []
        for name in names {
            let id: String
            if name.hasPrefix(Self.trashPrefix) {
                let fields = name.dropFirst(Self.trashPrefix.count).split(separator: ".")
                guard fields.count == 3, let pid = Int32(fields[1]), let start = UInt64(fields[2]) else { continue }
                if ProcessIdentity.isAlive(pid: pid, startTime: start) { continue }
                id = String(fields[0])
            } else if name.count == 64, Self.isRemnant(configPath: configPath(name)), StateFile.isDirectory(directory(name)) {
                id = name
            } else {
                continue
            }
            let trash = "\(containersDirectory)/\(Self.trashPrefix)\(id).\(Self.ownerToken)"
            guard rename("\(containersDirectory)/\(name)", trash) == 0 else { continue }
            claimed.append(DetachedRecord(id: id, trash: trash, runDirectory: runDirectory(id)))
        }
        return claimed
    }
}

extension ContainerStore {
    /// A config.json that is missing or empty (never written completely).
    static func isRemnant(configPath: String) -> Bool {
        var st = stat()
        if lstat(configPath, &st) != 0 { return errno == ENOENT }
        return st.st_size == 0
    }
}

/// A record taken out of the store by `ContainerStore.detach(id:)`:
/// invisible to every lookup, its files still on disk until `reclaim()`.
public struct DetachedRecord: Sendable {
    /// The container's id.
    let id: String
    /// The trash entry holding the record directory; nil when it was gone already.
    public let trash: String?
    let runDirectory: String

    /// Deletes the runtime directory (the monitor's socket), then the
    /// record's files, keeping the record directory itself for a next
    /// record while a slot is free (`RecordRecycling`). Another trash entry
    /// of the same container (a claimed remnant) is left to its own owner.
    public func reclaim() throws {
        try StateFile.removeTree(runDirectory)
        guard let trash else { return }
        if try RecordRecycling.recycle(trash, id: id, containers: StateFile.parent(of: trash)) { return }
        try StateFile.removeTreeConcurrently(trash)
    }
}

/// Docker-style generated names (`brave_turing`).
public enum NameGenerator {
    static let adjectives = ["admiring", "brave", "calm", "clever", "eager", "focused", "gallant", "happy", "jolly",
                             "keen", "loving", "modest", "nifty", "quirky", "serene", "stoic", "tender", "vibrant",
                             "wizardly", "zealous"]
    static let surnames = ["babbage", "curie", "dijkstra", "euler", "feynman", "gauss", "hopper", "johnson", "knuth",
                           "lamport", "lovelace", "meitner", "noether", "pike", "ritchie", "shannon", "thompson",
                           "turing", "wozniak", "yalow"]

    public static func unique(avoiding taken: Set<String>) -> String {
        var rng = SystemRandomNumberGenerator()
        for attempt in 0..<100 {
            let a = adjectives.randomElement(using: &rng) ?? "brave"
            let s = surnames.randomElement(using: &rng) ?? "turing"
            let name = attempt < 20 ? "\(a)_\(s)" : "\(a)_\(s)\(attempt)"
            if !taken.contains(name) { return name }
        }
        return "berth_" + String(ContainerStore.newID().prefix(12))
    }
}
