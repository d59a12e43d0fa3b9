import BerthTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built berth binary with posix_spawn + poll + waitpid. The
/// container tests start hundreds of short CLI processes; Foundation's
/// Process occasionally never reaps one of them (waitUntilExit hangs on a
/// zombie), so these tests wait for their children themselves.
enum ContainerCLI {
    static func run(_ t: TestRoot, _ arguments: [String], stdin: Data? = nil) throws -> CLIResult {
        let exe = Repository.berthExecutable.path
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin == nil {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe + inPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([exe] + arguments).map { strdup($0) } + [nil]
        let envp = t.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
        close(outPipe[1]); close(errPipe[1]); close(inPipe[0])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0]); close(inPipe[1])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
        }
        if let stdin {
            stdin.withUnsafeBytes { raw in
                var off = 0
                while off < raw.count, let base = raw.baseAddress {
                    let n = write(inPipe[1], base + off, raw.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
        }
        close(inPipe[1])
        var out = [UInt8](), err = [UInt8]()
        var open = [outPipe[0], errPipe[0]]
        var buf = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 { if errno == EINTR { continue }; break }
            for f in fds where f.revents != 0 {
                let n = read(f.fd, &buf, buf.count)
                if n > 0 {
                    if f.fd == outPipe[0] { out += buf[0..<n] } else { err += buf[0..<n] }
                } else {
                    close(f.fd)
                    open.removeAll { $0 == f.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CLIResult(status: code, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self))
    }
}

/// What a berth run printed and how it exited.
struct CLIResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

extension TestRoot {
    /// `berth ARGS` through `ContainerCLI`.
    @discardableResult
    func cli(_ arguments: String..., stdin: Data? = nil) throws -> CLIResult {
        try ContainerCLI.run(self, arguments, stdin: stdin)
    }

    @discardableResult
    func cli(arguments: [String], stdin: Data? = nil) throws -> CLIResult {
        try ContainerCLI.run(self, arguments, stdin: stdin)
    }
}
