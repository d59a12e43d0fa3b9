import BerthTestSupport
import Diagnostics
import Foundation
import Networking

/// A stand-in for a container in network tests: a `sleep` in a new network
/// namespace (started with `unshare --net`), wired by berth exactly as a
/// container's namespace would be, given its pid.
final class NetnsContainer: @unchecked Sendable {
    let process: Process
    var pid: Int32 { process.processIdentifier }

    init(_ t: TestRoot) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        // The prefix in the arguments makes the leak check find a leftover.
        process.arguments = ["--net", "--", "/bin/sh", "-c", "exec sleep 600 # \(t.directory.path)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the child is in its own namespace.
        let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        for _ in 0..<200 {
            if let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"), ns != mine,
               let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
               String(decoding: cmd, as: UTF8.self).hasPrefix("sleep") { break }
            usleep(5000)
        }
        let p = process
        t.defer_("stop netns container") {
            // SIGKILL: children of the test runner may inherit a blocked SIGTERM.
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    /// Runs a command inside the namespace (`nsenter --net`), with a timeout.
    @discardableResult
    func run(_ args: [String], timeout: Double = 10) throws -> CommandResult {
        try runProcess(URL(fileURLWithPath: "/usr/bin/nsenter"), ["--net=/proc/\(pid)/ns/net", "--"] + args, timeout: timeout)
    }

    /// Starts a long-running command inside the namespace; stopped at cleanup.
    func start(_ t: TestRoot, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        p.arguments = ["--net=/proc/\(pid)/ns/net", "--"] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        t.defer_("stop \(args.joined(separator: " "))") {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        return p
    }
}

enum Host {
    /// `nft list ruleset` text.
    static func ruleset() throws -> String {
        try runProcess(URL(fileURLWithPath: "/usr/sbin/nft"), ["list", "ruleset"]).stdout
    }

    static func run(_ path: String, _ args: [String]) throws -> CommandResult {
        try runProcess(URL(fileURLWithPath: path), args)
    }

    /// Polls `body` until it returns true or `seconds` pass.
    static func eventually(_ seconds: Double = 5, _ body: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try body() { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }
}

extension TestRoot {
    /// A NetworkStore bound to this test root; DNS forwards to `upstreams`
    /// (tests never depend on outside DNS).
    func networkStore(upstreams: [String] = []) -> NetworkStore {
        NetworkStore(paths: StatePaths(root: root.path, run: run.path), dnsHelper: Repository.dnsHelperExecutable.path,
                     upstreams: upstreams)
    }
}

extension Repository {
    /// The `berth-dns` helper built next to the test bundle.
    static var dnsHelperExecutable: URL {
        berthExecutable.deletingLastPathComponent().appendingPathComponent("berth-dns")
    }
}
