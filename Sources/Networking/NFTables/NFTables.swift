import CNFTables
import Diagnostics
import Foundation

/// Runs nft command text through libnftables (no `nft` process).
public enum NFTables {
    /// An nft command that failed; carries libnftables' error text.
    public struct CommandError: Error, CustomStringConvertible, Sendable {
        public var commands: String
        public var message: String
        public var description: String { "nftables: \(message.trimmingCharacters(in: .whitespacesAndNewlines))" }
    }

    /// Runs `commands` as one transaction; returns nft's output (JSON when asked).
    @discardableResult
    public static func run(_ commands: String, json: Bool = false, handles: Bool = false) throws -> String {
        let lib = try NFTablesLibrary.shared()
        return try session.lock.withLock {
            let ctx: OpaquePointer
            if let c = session.context {
                ctx = c
            } else {
                guard let c = lib.ctxNew(UInt32(NFT_CTX_DEFAULT)) else {
                    throw SystemError("nft_ctx_new", errno: ENOMEM)
                }
                _ = lib.bufferOutput(c)
                _ = lib.bufferError(c)
                session.context = c
                ctx = c
            }
            var flags: UInt32 = 0
            if json { flags |= UInt32(NFT_CTX_OUTPUT_JSON) }
            if handles { flags |= UInt32(NFT_CTX_OUTPUT_HANDLE) }
            lib.outputSetFlags(ctx, flags)
            let rc = lib.runCmdFromBuffer(ctx, commands)
            // Reading a buffer also empties it for the next command.
            let out = lib.getOutputBuffer(ctx).map { String(cString: $0) } ?? ""
            let err = lib.getErrorBuffer(ctx).map { String(cString: $0) } ?? ""
            if rc != 0 {
                // A failed command may leave the context's cache behind the
                // kernel: the next command starts from a fresh one.
                lib.ctxFree(ctx)
                session.context = nil
                throw CommandError(commands: commands, message: err.isEmpty ? "error \(rc)" : err)
            }
            return out
        }
    }

    /// The process's libnftables context, created at the first command and
    /// closed only when the process exits. Closing an nftables netlink
    /// socket waits until the kernel has freed what the last transaction
    /// deleted (an RCU grace period, ~10 ms here); with one socket per
    /// process that wait happens at most once, at exit, and by then the
    /// command has usually spent that time on other work.
    private final class Session: @unchecked Sendable {
        let lock = NSLock()
        var context: OpaquePointer?
    }
    private static let session = Session()

    /// A rule in another owner's chain carrying berth's compat comment.
    public struct TaggedRule: Hashable, Sendable {
        public var family: String, table: String, chain: String, handle: Int, comment: String
    }

    /// What berth needs from the live ruleset: forward base chains of other
    /// tables that drop by policy, and berth's compat rules already present.
    public struct ForeignState: Sendable {
        public var dropChains: [ForeignDropChain] = []
        public var taggedRules: [TaggedRule] = []
        public var tables: Set<String> = []
    }

    /// Parses `nft -j -a list ruleset` output. Tables named `berth…` are berth's.
    public static func parseForeign(json text: String) -> ForeignState {
        var state = ForeignState()
        guard let data = text.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = root["nftables"] as? [[String: Any]] else { return state }
        var chainsByTable: [String: Set<String>] = [:]
        var dropBase: [(family: String, table: String, chain: String)] = []
        for item in items {
            if let t = item["table"] as? [String: Any], let name = t["name"] as? String, let fam = t["family"] as? String {
                state.tables.insert("\(fam) \(name)")
            }
            if let c = item["chain"] as? [String: Any], let fam = c["family"] as? String,
               let table = c["table"] as? String, let name = c["name"] as? String {
                chainsByTable["\(fam) \(table)", default: []].insert(name)
                if !table.hasPrefix("berth"), c["hook"] as? String == "forward", c["policy"] as? String == "drop" {
                    dropBase.append((fam, table, name))
                }
            }
            if let r = item["rule"] as? [String: Any], let comment = r["comment"] as? String, comment.hasPrefix("berth-compat:"),
               let fam = r["family"] as? String, let table = r["table"] as? String, let chain = r["chain"] as? String,
               let handle = r["handle"] as? Int {
                state.taggedRules.append(TaggedRule(family: fam, table: table, chain: chain, handle: handle, comment: comment))
            }
        }
        for d in dropBase {
            // Docker's documented place for a user's rules comes before its own.
            let hasUserChain = chainsByTable["\(d.family) \(d.table)"]?.contains("DOCKER-USER") == true
            state.dropChains.append(ForeignDropChain(family: d.family, table: d.table, chain: hasUserChain ? "DOCKER-USER" : d.chain))
        }
        return state
    }

    public static func foreignState() throws -> ForeignState {
        parseForeign(json: try run("list ruleset", json: true, handles: true))
    }

    /// Gives berth's table the rules for `networks` and `ports` (removes it
    /// when there are none) and replaces its compat rules in foreign
    /// drop-policy forward chains, in one transaction; none when berth has
    /// nothing in the ruleset and nothing to put there.
    public static func apply(table: String, networks: [RuleNetwork], ports: [RulePort]) throws {
        let foreign = try foreignState()
        let tag = RuleSet.compatComment(table: table)
        let stale = foreign.taggedRules.filter { $0.comment == tag }
            .map { "delete rule \($0.family) \($0.table) \($0.chain) handle \($0.handle)\n" }.joined()
        let compat = RuleSet.renderCompat(table: table, chains: foreign.dropChains, bridges: networks.map(\.bridge))
        let exists = foreign.tables.contains("inet \(table)")
        let commands = stale + RuleSet.render(table: table, networks: networks, ports: ports,
                                              mode: RuleSet.mode(tableExists: exists)) + compat
        if commands.isEmpty { return }
        do {
            try run(commands)
        } catch is CommandError where exists {
            // A table berth did not leave in this shape (another version's
            // chains, or changed by hand): replace it whole. The failed
            // transaction changed nothing.
            try run(stale + RuleSet.render(table: table, networks: networks, ports: ports, mode: .replace) + compat)
        }
    }

    /// The kernel's IPv4 forwarding switch: berth turns it on with its first
    /// network (as Docker does) and never turns it off.
    public static func enableIPv4Forwarding() throws -> Bool {
        let path = "/proc/sys/net/ipv4/ip_forward"
        let current = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if current == "1" { return false }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError.current("open", path) }
        defer { close(fd) }
        guard write(fd, "1\n", 2) == 2 else { throw SystemError.current("write", path) }
        return true
    }
}
