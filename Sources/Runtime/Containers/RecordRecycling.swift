import CRuntime
import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// Record directories of removed containers, kept for the next `create`
/// instead of deleted: `<containers>/.spare-<k>` (at most `slots`), each
/// holding what a new record writes again — its files emptied and renamed
/// to `.<name>.spare`, which `StateFile.writeAtomically` writes and
/// renames into place, the emptied log, and the emptied `work` and
/// `rootfs` directories. Nothing of the old container is left there:
/// everything else (its writable layer `diff`, rotated logs) is deleted.
///
/// Why: on a filesystem without a journal (as on this project's machines)
/// ext4 skips every inode freed in the last 5 s, or 5 min while its inode
/// table block is still dirty, when it picks one for a new file, looking
/// each up in the buffer cache. A `run --rm` made and freed ~20 inodes, so
/// runs in a row made each new file slower than the last: in a loop of
/// runs 15 % of the CLI's and 24 % of the monitor's CPU went to that
/// search (`perf record -g`). A recycled directory makes and frees about
/// half as many.
enum RecordRecycling {
    static let prefix = ".spare-"
    static let slots = 4
    /// The files a record writes with `StateFile.writeAtomically`.
    static let files: Set<String> = ["config.json", "state.json", "hosts", "hostname", "resolv.conf"]
    /// Directories kept, emptied (the overlay's scratch directory and mount point).
    static let directories: Set<String> = ["work", "rootfs"]
    /// The log, emptied (`JSONLogWriter` takes it over).
    static let logSpare = ".json.log.spare"
    static let spares: Set<String> = Set(files.map { ".\($0).spare" }).union([logSpare])

    /// Brings the removed record directory `trash` of container `id` down
    /// to what a new record reuses and moves it into a free slot of
    /// `containers`. False when every slot is taken: the caller deletes it.
    static func recycle(_ trash: String, id: String, containers: String) throws -> Bool {
        let log = "\(id)-json.log"
        var top = stat()
        guard lstat(trash, &top) == 0 else { return false }
        for name in StateFile.list(trash) {
            let path = "\(trash)/\(name)"
            if files.contains(name) || name == log {
                // Emptied first: the old record (its environment) and output go now.
                let spare = name == log ? "\(trash)/\(logSpare)" : "\(trash)/.\(name).spare"
                if truncate(path, 0) != 0 || rename(path, spare) != 0 { try StateFile.removeTree(path) }
            } else if directories.contains(name), isPlainDirectory(path, on: top.st_dev) {
                for entry in StateFile.list(path) { try StateFile.removeTree("\(path)/\(entry)") }
            } else if !spares.contains(name) {
                try StateFile.removeTreeConcurrently(path)
            }
        }
        for k in 0..<slots {
            if brt_rename_noreplace(trash, "\(containers)/\(prefix)\(k)") == 0 { return true }
            if errno != EEXIST && errno != ENOTEMPTY { break }
        }
        return false
    }

    /// Under the containers' index lock, with `names` its entries: moves a
    /// spare directory to `dir` (a new record's). False when there is none.
    static func claim(_ names: [String], containers: String, as dir: String) -> Bool {
        for name in names where name.hasPrefix(prefix) {
            if rename("\(containers)/\(name)", dir) == 0 { return true }
        }
        return false
    }

    /// The emptied log of a recycled directory becomes `path`, unless a log is there already.
    static func takeLog(_ path: String) {
        _ = brt_rename_noreplace("\(StateFile.parent(of: path))/\(logSpare)", path)
    }

    /// A directory (not a symlink) on the record directory's own
    /// filesystem: never a mount point, such as a stopped container's root
    /// mounted for `cp`, whose entries are the container's files. Anything
    /// else is deleted by `removeTreeConcurrently`, which stops at mounts.
    private static func isPlainDirectory(_ path: String, on device: dev_t) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && st.st_dev == device
    }
}
