import Diagnostics
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONCoding
import Testing
@testable import Runtime

@Suite struct ContainerStateTests {
    struct MisuseCase: CustomTestStringConvertible, Sendable {
        var name: String
        var status: ContainerStatus
        var operation: LifecycleOperation
        var force: Bool = false
        var error: String?
        var testDescription: String { name }
    }

    static let cases: [MisuseCase] = [
        MisuseCase(name: "exec on exited", status: .exited, operation: .exec, error: "cannot exec: web-1 is not running"),
        MisuseCase(name: "exec on created", status: .created, operation: .exec, error: "cannot exec: web-1 is not running"),
        MisuseCase(name: "exec on running", status: .running, operation: .exec, error: nil),
        MisuseCase(name: "exec on paused", status: .paused, operation: .exec, error: "cannot exec: web-1 is paused, unpause it first"),
        MisuseCase(name: "pause twice", status: .paused, operation: .pause, error: "cannot pause: web-1 is already paused"),
        MisuseCase(name: "unpause running", status: .running, operation: .unpause, error: "cannot unpause: web-1 is not paused"),
        MisuseCase(name: "kill exited", status: .exited, operation: .kill, error: "cannot kill: web-1 is not running"),
        MisuseCase(name: "kill paused", status: .paused, operation: .kill, error: nil),
        MisuseCase(name: "remove running", status: .running, operation: .remove,
                   error: "cannot remove container \"web-1\": container is running: stop the container before removing or force remove"),
        MisuseCase(name: "force remove running", status: .running, operation: .remove, force: true, error: nil),
        MisuseCase(name: "remove exited", status: .exited, operation: .remove, error: nil),
        MisuseCase(name: "start paused", status: .paused, operation: .start, error: "cannot start: web-1 is paused, unpause it instead"),
        MisuseCase(name: "start exited", status: .exited, operation: .start, error: nil),
    ]

    @Test(arguments: cases)
    func lifecycleChecks(_ c: MisuseCase) {
        let state = ContainerState(status: c.status, pid: c.status == .exited || c.status == .created ? 0 : 42)
        do {
            try state.check(c.operation, name: "web-1", force: c.force)
            #expect(c.error == nil)
        } catch let e as LifecycleError {
            #expect(e.message == c.error)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func lifecycleObjectAppliesOnlyAllowedChanges() throws {
        let life = ContainerLifecycle(name: "web-1", state: ContainerState(status: .exited))
        #expect(throws: LifecycleError("cannot exec: web-1 is not running")) {
            try life.perform(.exec) { $0.pid = 99 }
        }
        #expect(life.current.pid == 0)
        try life.perform(.start) { $0.markStarted(pid: 7, at: Timestamp(seconds: 5), isRestart: false) }
        #expect(life.current.status == .running)
        try life.perform(.exec) { _ in }
    }

    @Test func transitionsRecordWhatDockerShows() {
        var s = ContainerState()
        s.markStarted(pid: 10, at: Timestamp(seconds: 100), isRestart: false)
        s.markExited(exitCode: 1, oomKilled: false, at: Timestamp(seconds: 101), restarting: true)
        #expect(s.status == .restarting && s.isActive && s.pid == 0)
        s.markStarted(pid: 11, at: Timestamp(seconds: 102), isRestart: true)
        #expect(s.restartCount == 1 && s.status == .running)
        s.markExited(exitCode: 137, oomKilled: true, at: Timestamp(seconds: 103), restarting: false)
        #expect(s.status == .exited && s.exitCode == 137 && s.oomKilled)

        var never = ContainerState()
        never.markStartFailed(exitCode: 127, message: "exec: \"x\": executable file not found in $PATH", at: Timestamp(seconds: 1))
        #expect(never.status == .created && never.exitCode == 127)
    }
}

@Suite struct ContainerLookupTests {
    static func record(_ id: String, _ name: String) -> ContainerRecord {
        ContainerRecord(id: id, name: name, image: "busybox", process: ProcessSpec(args: ["true"]), rootfs: "/")
    }

    static let records = [
        record("abc1" + String(repeating: "0", count: 60), "web-1"),
        record("abc2" + String(repeating: "0", count: 60), "db-1"),
        record("def0" + String(repeating: "0", count: 60), "abc1"),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        var reference: String
        var expectedName: String?
        var error: ContainerStoreError?
        var testDescription: String { reference }
    }

    static let cases: [Case] = [
        Case(reference: "web-1", expectedName: "web-1"),
        Case(reference: "/db-1", expectedName: "db-1"),
        Case(reference: "abc2", expectedName: "db-1"),
        Case(reference: "def", expectedName: "abc1"),
        // A name wins over an id prefix, as in Docker.
        Case(reference: "abc1", expectedName: "abc1"),
        Case(reference: "abc", error: .ambiguousPrefix("abc")),
        Case(reference: "zzz", error: .noSuchContainer("zzz")),
        Case(reference: "", error: .noSuchContainer("")),
        Case(reference: "abc2" + String(repeating: "0", count: 60), expectedName: "db-1"),
    ]

    @Test(arguments: cases)
    func resolve(_ c: Case) {
        do {
            let r = try ContainerStore.resolve(c.reference, in: Self.records)
            #expect(r.name == c.expectedName)
        } catch let e as ContainerStoreError {
            #expect(e == c.error)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: ["web", "a.b-c_d", "A1"])
    func validNames(_ name: String) { #expect(ContainerStore.isValidName(name)) }

    @Test(arguments: ["", "x", "-web", "web/1", "we b", "_x"])
    func invalidNames(_ name: String) { #expect(!ContainerStore.isValidName(name)) }
}

@Suite struct ContainerStoreTests {
    @Test func createsAtomicallyAndRefusesADuplicateName() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        let a = ContainerLookupTests.record(ContainerStore.newID(), "web")
        try store.create(a)
        #expect(try store.record(id: a.id) == a)
        #expect(try store.state(id: a.id).status == .created)
        let b = ContainerLookupTests.record(ContainerStore.newID(), "web")
        #expect(throws: ContainerStoreError.nameInUse(name: "web", id: a.id)) { try store.create(b) }
        #expect(!StateFile.exists(store.directory(b.id)))
        // No temp files are left next to the record; state.json comes with the first transition.
        #expect(StateFile.list(store.directory(a.id)).sorted() == ["config.json"])

        let generated = try store.create(ContainerLookupTests.record(ContainerStore.newID(), ""))
        #expect(generated.name.contains("_"))
        #expect(try store.lookup(generated.name).id == generated.id)

        // An update that changes nothing writes nothing.
        try store.updateState(id: a.id) { $0.stoppedByUser = false }
        #expect(!StateFile.exists(store.statePath(a.id)))
        try store.updateState(id: a.id) { $0.markStarted(pid: 5, at: Timestamp(seconds: 9), isRestart: false) }
        #expect(try store.state(id: a.id).pid == 5)
        #expect(StateFile.list(store.directory(a.id)).sorted() == ["config.json", "state.json"])
        try store.remove(id: a.id)
        #expect(throws: ContainerStoreError.noSuchContainer("web")) { try store.lookup("web") }
        // A late update of a removed record fails instead of re-creating its directory.
        #expect(throws: SystemError.self) { try store.updateState(id: a.id) { $0.stoppedByUser = true } }
        #expect(!StateFile.exists(store.directory(a.id)))
    }

    /// A `--rm` container's state is written without fsync; an empty
    /// state.json (what a crash may leave of that) reads as none.
    @Test func anUnsyncedStateReadsBackAndAnEmptyOrTornOneIsCorrupt() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        let a = try store.create(ContainerLookupTests.record(ContainerStore.newID(), "web"))
        try store.updateState(id: a.id, synced: false) { $0.markStarted(pid: 7, at: Timestamp(seconds: 3), isRestart: false) }
        #expect(try store.state(id: a.id).pid == 7)
        #expect(StateFile.list(store.directory(a.id)).sorted() == ["config.json", "state.json"])
        for torn in [[], Array("{".utf8), [UInt8](repeating: 0, count: 64)] {
            try StateFile.writeAtomically(store.statePath(a.id), torn, durable: false, synced: false)
            #expect(throws: ContainerStoreError.self) { try store.state(id: a.id) }
        }
        #expect(unlink(store.statePath(a.id)) == 0)
        #expect(try store.state(id: a.id) == ContainerState())
    }

    /// What a machine crash may leave of a `--rm` container's unsynced
    /// state reads as exited, so `rm` removes it; anyone else's stays an error.
    @Test(arguments: [true, false])
    func aTornStateOfARemoveOnExitContainerReadsAsExited(autoRemove: Bool) throws {
        let dir = try TempDir()
        let paths = StatePaths(root: dir.path + "/root", run: dir.path + "/run")
        let store = ContainerStore(paths: paths)
        var record = ContainerLookupTests.record(ContainerStore.newID(), "web")
        record.autoRemove = autoRemove
        let a = try store.create(record)
        try StateFile.writeAtomically(store.statePath(a.id), [UInt8](repeating: 0, count: 64), durable: false, synced: false)
        let operations = ContainerOperations(store: store, monitorExecutable: "/nonexistent/berth-monitor")
        if autoRemove {
            let snap = try operations.snapshot(a)
            #expect(snap.state.status == .exited && snap.state.exitCode == 137 && !snap.monitorAlive)
            try operations.remove(a, force: false)
            #expect(!store.exists(id: a.id))
        } else {
            #expect(throws: ContainerStoreError.self) { try operations.snapshot(a) }
        }
    }

    @Test func detachHidesTheRecordAtOnceAndReclaimDeletesItsFiles() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        let a = try store.create(ContainerLookupTests.record(ContainerStore.newID(), "web"))
        try StateFile.makeDirectories(store.directory(a.id) + "/diff/etc")
        try StateFile.writeAtomically(store.directory(a.id) + "/diff/etc/hosts", text: "x", durable: false)
        try StateFile.makeDirectories(store.runDirectory(a.id))
        let detached = try store.detach(id: a.id)
        // Gone for lookups and names at once, its files still there.
        #expect(throws: ContainerStoreError.noSuchContainer("web")) { try store.lookup("web") }
        #expect(try store.all().isEmpty)
        let trash = try #require(detached.trash)
        #expect(StateFile.exists(trash + "/diff/etc/hosts"))
        #expect(StateFile.basename(of: trash).hasPrefix(".removed-\(a.id)."))
        try store.create(ContainerLookupTests.record(ContainerStore.newID(), "web"))
        try detached.reclaim()
        #expect(!StateFile.exists(trash))
        #expect(!StateFile.exists(store.runDirectory(a.id)))
        // A second removal of the same record finds nothing and fails nothing.
        let again = try store.detach(id: a.id)
        #expect(again.trash == nil)
        try again.reclaim()
    }

    @Test func createDeletesWhatADeadRemoverLeft() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        try store.create(ContainerLookupTests.record(ContainerStore.newID(), "first"))
        let containers = store.containersDirectory
        // A remover that died (no such pid), one still alive (this process),
        // and a record directory without its config.json (a crash remnant).
        let deadID = ContainerStore.newID(), liveID = ContainerStore.newID(), remnantID = ContainerStore.newID()
        let dead = "\(containers)/.removed-\(deadID).2147483646.1"
        let live = "\(containers)/.removed-\(liveID).\(ContainerStore.ownerToken)"
        for d in [dead + "/diff", live + "/diff", store.directory(remnantID)] { try StateFile.makeDirectories(d) }
        try StateFile.writeAtomically(store.directory(remnantID) + "/state.json", text: "{}", durable: false)
        // A `--rm` record whose unsynced config.json came back empty after a crash.
        let emptyID = ContainerStore.newID()
        try StateFile.makeDirectories(store.directory(emptyID) + "/diff")
        try StateFile.writeAtomically(store.configPath(emptyID), text: "", durable: false)
        try StateFile.makeDirectories(store.runDirectory(deadID))
        try store.create(ContainerLookupTests.record(ContainerStore.newID(), "second"))
        #expect(!StateFile.exists(dead))
        #expect(!StateFile.exists(store.runDirectory(deadID)))
        #expect(!StateFile.exists(store.directory(remnantID)))
        #expect(!StateFile.exists(store.directory(emptyID)))
        #expect(StateFile.exists(live + "/diff"))
        #expect(Set(try store.all().map(\.name)) == ["first", "second"])
    }

    static func inodeOf(_ path: String) -> UInt64 { inode(path) }

    private static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// A removed record's directory is kept for the next record (see
    /// `RecordRecycling`): its files emptied as spares, its writable layer
    /// deleted, `work` and `rootfs` emptied; the next `create` takes it
    /// over, and the record, its state and its log reuse those inodes.
    @Test func aRemovedRecordDirectoryServesTheNextRecord() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        let a = try store.create(ContainerLookupTests.record(ContainerStore.newID(), "web"))
        let aDir = store.directory(a.id)
        try store.updateState(id: a.id) { $0.markStarted(pid: 5, at: Timestamp(seconds: 9), isRestart: false) }
        try StateFile.writeAtomically(files: [(aDir + "/hosts", Array("h".utf8)), (aDir + "/hostname", Array("n".utf8)),
                                              (aDir + "/resolv.conf", Array("r".utf8))])
        let log = try JSONLogWriter(path: store.logPath(a.id), options: LogOptions())
        try log.write(LogEntry(stream: .stdout, text: "secret\n", time: Timestamp(seconds: 1)))
        for d in ["diff/etc", "work/work/incompat", "rootfs"] { try StateFile.makeDirectories(aDir + "/" + d) }
        try StateFile.writeAtomically(aDir + "/diff/etc/x", text: "x", durable: false)
        try StateFile.writeAtomically(store.logPath(a.id) + ".1", text: "old log", durable: false)
        let inodes = (dir: Self.inode(aDir), config: Self.inode(store.configPath(a.id)),
                      state: Self.inode(store.statePath(a.id)), log: Self.inode(store.logPath(a.id)))

        try store.remove(id: a.id)
        let spare = store.containersDirectory + "/.spare-0"
        #expect(StateFile.list(store.containersDirectory).filter { !$0.hasPrefix(".lock") } == [".spare-0"])
        #expect(StateFile.list(spare).sorted() == [".config.json.spare", ".hostname.spare", ".hosts.spare", ".json.log.spare",
                                                   ".resolv.conf.spare", ".state.json.spare", "rootfs", "work"])
        for f in StateFile.list(spare) where f.hasSuffix(".spare") {
            #expect(try StateFile.readText(spare + "/" + f) == "", "\(f) is emptied")
        }
        #expect(StateFile.list(spare + "/work").isEmpty)
        #expect(throws: ContainerStoreError.noSuchContainer("web")) { try store.lookup("web") }

        let b = try store.create(ContainerLookupTests.record(ContainerStore.newID(), "web"))
        #expect(!StateFile.exists(spare))
        #expect(Self.inode(store.directory(b.id)) == inodes.dir)
        #expect(Self.inode(store.configPath(b.id)) == inodes.config)
        #expect(try store.record(id: b.id) == b)
        #expect(try store.state(id: b.id) == ContainerState(), "a new record has no state yet")
        try store.updateState(id: b.id) { $0.markStarted(pid: 6, at: Timestamp(seconds: 10), isRestart: false) }
        #expect(Self.inode(store.statePath(b.id)) == inodes.state)
        #expect(try store.state(id: b.id).pid == 6)
        _ = try JSONLogWriter(path: store.logPath(b.id), options: LogOptions())
        #expect(Self.inode(store.logPath(b.id)) == inodes.log)
        #expect(try JSONLogReader.entries(logPath: store.logPath(b.id), options: LogOptions()).isEmpty)
        #expect(!StateFile.exists(store.directory(b.id) + "/diff"))
    }

    /// At most four directories are kept; the rest are deleted as before.
    @Test func atMostFourRecordDirectoriesAreKept() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        let records = try (0..<6).map { try store.create(ContainerLookupTests.record(ContainerStore.newID(), "c\($0)")) }
        for r in records { try store.remove(id: r.id) }
        #expect(StateFile.list(store.containersDirectory).filter { $0 != ".lock" }.sorted()
                == [".spare-0", ".spare-1", ".spare-2", ".spare-3"])
        // Each is taken once.
        for i in 0..<5 { try store.create(ContainerLookupTests.record(ContainerStore.newID(), "n\(i)")) }
        #expect(!StateFile.list(store.containersDirectory).contains { $0.hasPrefix(".spare-") })
        #expect(try store.all().count == 5)
    }

    @Test func idsAre64LowercaseHexDigits() {
        let id = ContainerStore.newID()
        #expect(id.count == 64)
        #expect(id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(ContainerStore.newID() != id)
    }

    @Test func recordRoundTripsThroughJSON() throws {
        var r = ContainerLookupTests.record(ContainerStore.newID(), "web")
        r.labels = ["com.example": "x", "empty": ""]
        r.restart = .onFailure(maxRetries: 3)
        r.host.mounts = [MountSpec(type: "volume", source: "data", destination: "/data", hostPath: "/v/data/_data", readOnly: true)]
        r.process.env = ["A=1", "B=\"quoted\"\n"]
        let text = try RecordCoding.encode(r).pretty()
        #expect(try RecordCoding.decode(ContainerRecord.self, from: text) == r)
    }
}

@Suite struct RecordJSONTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var testDescription: String { text }
    }

    @Test(arguments: [#"{"a":[1,2.5,true,null,"x\u00e9\ud83d\ude00"],"b":{}}"#, #"[]"#, #""\"\\\/""#, #"-12"#])
    func parsesAndPrintsCompact(_ text: String) throws {
        let v = try RecordJSON.parse(text)
        #expect(try RecordJSON.parse(v.compact) == v)
    }

    @Test(arguments: [#"{"a":}"#, #"[1,]"#, #"tru"#, #"{"a":1} x"#, #""unterminated"#])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try RecordJSON.parse(text) }
    }

    /// A type whose `init(from:)` reads its maps through `decodeMap`.
    struct Maps: Decodable, Equatable {
        var labels: [String: String]
        var counts: [String: [Int]]
        enum CodingKeys: String, CodingKey { case labels, counts }
        init(labels: [String: String], counts: [String: [Int]]) { self.labels = labels; self.counts = counts }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            labels = try RecordCoding.decodeMap(String.self, in: c, forKey: .labels)
            counts = try RecordCoding.decodeMap([Int].self, in: c, forKey: .counts)
        }
    }

    /// `decodeMap` reads what Dictionary decoding reads, through this
    /// reader and through JSONDecoder, and fails where it fails.
    @Test func mapsReadAsDictionaryDecodingReadsThem() throws {
        let text = #"{"labels":{"a":"1","é \"q\"":"","a.b":"x"},"counts":{"x":[1,2],"y":[]}}"#
        let expected = Maps(labels: ["a": "1", "é \"q\"": "", "a.b": "x"], counts: ["x": [1, 2], "y": []])
        #expect(try RecordCoding.decode(Maps.self, from: text) == expected)
        #expect(try JSONDecoder().decode(Maps.self, from: Data(text.utf8)) == expected)
        for bad in [#"{"labels":[],"counts":{}}"#, #"{"labels":{"a":1},"counts":{}}"#, #"{"counts":{}}"#,
                    #"{"labels":{},"counts":{"x":["1"]}}"#] {
            #expect(throws: DecodingError.self) { try RecordCoding.decode(Maps.self, from: bad) }
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Maps.self, from: Data(bad.utf8)) }
        }
    }

    @Test func timestampsPrintLikeGo() {
        #expect(Timestamp.zero.description == "0001-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 1_714_558_830, nanoseconds: 120_000_000).description == "2024-05-01T10:20:30.12Z")
        #expect(Timestamp(seconds: 1_714_558_830, nanoseconds: 120_000_000).fixedNano == "2024-05-01T10:20:30.120000000Z")
        #expect(Timestamp.parse("0001-01-01T00:00:00Z") == .zero)
        #expect(Timestamp.parse("2024-02-30T00:00:00Z") != nil)  // days are not validated per month
        #expect(Timestamp.parse("2024-13-01T00:00:00Z") == nil)
    }
}

/// `network_mode`/`--network` as stored, and how `container:<id>` resolves
/// to the namespace joined at start.
@Suite struct NetworkModeTests {
    @Test(arguments: ["none", "host", "ns:/run/berth/netns/abc", "container:abc"])
    func roundTrips(_ text: String) {
        #expect(NetworkMode(text).text == text)
    }

    @Test func unknownTextIsNone() {
        #expect(NetworkMode("") == .none)
        #expect(NetworkMode("bridge") == .none)
    }

    @Test func sharedModeFollowsTheOwner() throws {
        let dir = try TempDir()
        let store = ContainerStore(paths: StatePaths(root: dir.path + "/root", run: dir.path + "/run"))
        func make(_ name: String, _ mode: String) throws -> ContainerRecord {
            var r = ContainerLookupTests.record(ContainerStore.newID(), name)
            r.host.networkMode = mode
            return try store.create(r)
        }
        let pinned = try make("pinned", "ns:/run/berth/netns/p")
        let host = try make("hostly", "host")
        let chained = try make("chained", "container:\(pinned.id)")
        let own = try make("own", "none")
        #expect(try store.sharedNetworkMode(of: pinned) == .join(path: "/run/berth/netns/p"))
        #expect(try store.sharedNetworkMode(of: host) == .host)
        #expect(try store.sharedNetworkMode(of: chained) == .join(path: "/run/berth/netns/p"))
        // A namespace of its own: only while its process runs (this test process stands in).
        #expect(throws: NetworkModeError("cannot join network of a non running container: own")) {
            try store.sharedNetworkMode(of: own)
        }
        let me = getpid()
        let start = try #require(ProcessIdentity.startTime(pid: me))
        try store.updateState(id: own.id) { $0.pid = me; $0.pidStart = start }
        #expect(try store.sharedNetworkMode(of: own) == .join(path: "/proc/\(me)/ns/net"))
        // A chain whose owner is gone.
        let orphan = try make("orphan", "container:\(ContainerStore.newID())")
        #expect(throws: NetworkModeError.self) { try store.sharedNetworkMode(of: orphan) }
    }
}

@Suite struct StateFileBatchTests {
    /// A tree shaped like a container's after an overlay mount: files at
    /// several depths, nested empty directories, a symlink.
    struct TreeCase: CustomTestStringConvertible, Sendable {
        let name: String
        let directories: [String]
        let files: [String]
        var testDescription: String { name }
    }

    static let trees = [
        TreeCase(name: "container layout",
                 directories: ["diff", "diff/etc", "work", "work/work", "work/work/incompat", "work/work/incompat/volatile", "rootfs"],
                 files: ["config.json", "state.json", "lock", "hosts", "diff/etc/hosts", "diff/etc/hostname"]),
        TreeCase(name: "only files", directories: [], files: ["a", "b", "c"]),
        TreeCase(name: "empty", directories: [], files: []),
        TreeCase(name: "deep chain", directories: ["a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e"], files: ["a/b/c/d/e/f"]),
    ]

    @Test(arguments: trees)
    func removeTreeConcurrentlyRemovesEverything(_ tree: TreeCase) throws {
        let dir = try TempDir()
        let top = dir.path + "/tree"
        try StateFile.makeDirectories(top)
        for d in tree.directories { try StateFile.makeDirectories(top + "/" + d) }
        for f in tree.files { try StateFile.writeAtomically(top + "/" + f, text: f, durable: false) }
        #expect(symlink("/nonexistent", top + "/link") == 0)
        try StateFile.removeTreeConcurrently(top)
        #expect(!StateFile.exists(top))
        #expect(StateFile.list(dir.path).isEmpty)
        // Gone already: nothing to do, no error.
        try StateFile.removeTreeConcurrently(top)
    }

    @Test func removeTreeConcurrentlyRemovesAPlainFile() throws {
        let dir = try TempDir()
        try StateFile.writeAtomically(dir.path + "/f", text: "x", durable: false)
        try StateFile.removeTreeConcurrently(dir.path + "/f")
        #expect(!StateFile.exists(dir.path + "/f"))
    }

    @Test func writesSeveralFilesAtomically() throws {
        let dir = try TempDir()
        try StateFile.writeAtomically(dir.path + "/hosts", text: "old\n", durable: false)
        try StateFile.writeAtomically(files: [(dir.path + "/hosts", Array("127.0.0.1\tlocalhost\n".utf8)),
                                              (dir.path + "/hostname", Array("abc\n".utf8)),
                                              (dir.path + "/empty", [])])
        #expect(try StateFile.readText(dir.path + "/hosts") == "127.0.0.1\tlocalhost\n")
        #expect(try StateFile.readText(dir.path + "/hostname") == "abc\n")
        #expect(try StateFile.readText(dir.path + "/empty") == "")
        // No temp files are left.
        #expect(StateFile.list(dir.path).sorted() == ["empty", "hostname", "hosts"])
    }

    /// A spare next to the file (a recycled record directory's) is
    /// written and renamed into place: the same inode, nothing left of its
    /// old content; without one a new file is made.
    @Test func aSpareIsWrittenInPlaceOfANewFile() throws {
        let dir = try TempDir()
        try StateFile.writeAtomically(dir.path + "/.a.spare", text: "a much longer old content", durable: false)
        try StateFile.writeAtomically(dir.path + "/.b.spare", text: "old b", durable: false)
        let spareA = ContainerStoreTests.inodeOf(dir.path + "/.a.spare"), spareB = ContainerStoreTests.inodeOf(dir.path + "/.b.spare")
        try StateFile.writeAtomically(dir.path + "/a", text: "new", durable: false)
        try StateFile.writeAtomically(files: [(dir.path + "/b", Array("b".utf8)), (dir.path + "/c", Array("c".utf8))])
        #expect(try StateFile.readText(dir.path + "/a") == "new")
        #expect(try StateFile.readText(dir.path + "/b") == "b")
        #expect(ContainerStoreTests.inodeOf(dir.path + "/a") == spareA)
        #expect(ContainerStoreTests.inodeOf(dir.path + "/b") == spareB)
        #expect(StateFile.list(dir.path).sorted() == ["a", "b", "c"])
        try StateFile.writeAtomically(dir.path + "/a", text: "again", durable: false)
        #expect(ContainerStoreTests.inodeOf(dir.path + "/a") != spareA)
        #expect(try StateFile.readText(dir.path + "/a") == "again")
    }

    @Test func aFailedBatchLeavesNoTempFiles() throws {
        let dir = try TempDir()
        #expect(throws: SystemError.self) {
            try StateFile.writeAtomically(files: [(dir.path + "/a", Array("1".utf8)),
                                                  (dir.path + "/missing/b", Array("2".utf8))])
        }
        #expect(StateFile.list(dir.path).isEmpty)
    }
}

@Suite struct MountPointLayerTests {
    struct LayerCase: CustomTestStringConvertible, Sendable {
        let name: String
        /// Files (or `etc -> …` symlinks) in the image's single lower layer.
        let image: [String]
        let etcIsSymlink: Bool
        let mounted: [String]
        let used: Bool
        var testDescription: String { name }
    }

    static let all = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]
    static let cases = [
        LayerCase(name: "image without the files", image: ["etc/passwd"], etcIsSymlink: false, mounted: all, used: true),
        LayerCase(name: "image without /etc", image: ["bin/sh"], etcIsSymlink: false, mounted: all, used: true),
        LayerCase(name: "image with one of them", image: ["etc/hosts"], etcIsSymlink: false, mounted: all, used: true),
        LayerCase(name: "image with all three", image: ["etc/hosts", "etc/hostname", "etc/resolv.conf"],
                  etcIsSymlink: false, mounted: all, used: false),
        LayerCase(name: "image whose /etc is a symlink", image: [], etcIsSymlink: true, mounted: all, used: false),
        LayerCase(name: "not every file bind-mounted", image: ["etc/passwd"], etcIsSymlink: false,
                  mounted: ["/etc/hosts"], used: false),
    ]

    @Test(arguments: cases)
    func stubsGoOnTopOnlyWhenTheyHelp(_ c: LayerCase) throws {
        let dir = try TempDir()
        let lower = dir.path + "/lower", upper = dir.path + "/diff"
        for d in [lower, upper] { try StateFile.makeDirectories(d) }
        for f in c.image {
            try StateFile.makeDirectories(StateFile.parent(of: lower + "/" + f))
            try StateFile.writeAtomically(lower + "/" + f, text: "image", durable: false)
        }
        if c.etcIsSymlink { #expect(symlink("/private/etc", lower + "/etc") == 0) }
        var record = ContainerLookupTests.record(ContainerStore.newID(), "web")
        record.host.mounts = c.mounted.map { MountSpec(type: "bind", source: "/x", destination: $0) }
        let ov = OverlaySpec(lowerDirs: [lower], upperDir: upper, workDir: dir.path + "/work")
        let path = try MountPointLayer.path(for: record, overlay: ov, root: dir.path + "/root")
        #expect((path != nil) == c.used)
        if let path {
            #expect(path == dir.path + "/root/mount-points")
            for f in ["hosts", "hostname", "resolv.conf"] { #expect(try StateFile.read("\(path)/etc/\(f)") == []) }
            // Made once; a second container reuses it, and nothing else is left behind.
            #expect(try MountPointLayer.path(for: record, overlay: ov, root: dir.path + "/root") == path)
            #expect(StateFile.list(dir.path + "/root") == ["mount-points"])
        }
    }
}
