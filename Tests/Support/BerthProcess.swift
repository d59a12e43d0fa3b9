import Foundation

/// The outcome of running the berth executable.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// posix_spawn attributes for the tests' children: default signal
/// dispositions and an empty mask (whatever the test process blocks or
/// ignores), and with `newSession` a session of their own (setsid).
public final class SpawnAttributes {
    public var raw = posix_spawnattr_t()

    public init(newSession: Bool = false) {
        posix_spawnattr_init(&raw)
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&raw, &none)
        posix_spawnattr_setsigdefault(&raw, &all)
        let setsid: Int32 = newSession ? 0x80 /* POSIX_SPAWN_SETSID */ : 0
        posix_spawnattr_setflags(&raw, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))
    }

    deinit { posix_spawnattr_destroy(&raw) }
}

/// Runs an executable to completion and captures its output. Spawned with
/// posix_spawn and reaped with waitpid on its own pid: Foundation's Process
/// can miss a child's exit under load and hang in waitUntilExit. A child
/// still running after `timeout` seconds is killed (status 137) so a stuck
/// command fails its test instead of hanging the suite.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       directory: URL? = nil, stdin: Data? = nil, timeout: Double = 300) throws -> CommandResult {
    func pipePair() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
    let out = try pipePair(), err = try pipePair(), input = try pipePair()

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if stdin != nil {
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, out.write, 1)
    posix_spawn_file_actions_adddup2(&actions, err.write, 2)

    let attr = SpawnAttributes()

    // The working directory through env(1): Glibc's Swift overlay lacks posix_spawn_file_actions_addchdir_np.
    let program = directory == nil ? executable.path : "/usr/bin/env"
    let words = directory.map { ["/usr/bin/env", "-C", $0.path, executable.path] } ?? [executable.path]
    let argv = (words + arguments).map { strdup($0) } + [nil]
    let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + env).forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, program, &actions, &attr.raw, argv, env)
    for fd in [out.write, err.write, input.read] { close(fd) }
    guard rc == 0 else {
        for fd in [out.read, err.read, input.write] { close(fd) }
        throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
    }
    if let stdin {
        // Written from a thread so a child that does not read cannot block us.
        let fd = input.write
        Thread.detachNewThread {
            stdin.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(fd)
        }
    } else {
        close(input.write)
    }

    // Both pipes until EOF on each (or the deadline), then the exit status.
    var collected: [Int32: [UInt8]] = [out.read: [], err.read: []]
    var open = [out.read, err.read]
    let deadline = Date().addingTimeInterval(timeout)
    var killed = false
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty {
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), 200)
        if ready < 0 && errno != EINTR { break }
        for p in fds where p.revents != 0 {
            let n = read(p.fd, &buffer, buffer.count)
            if n > 0 {
                collected[p.fd]! += buffer[0..<n]
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                open.removeAll { $0 == p.fd }
            }
        }
        if !killed && Date() > deadline {
            kill(pid, SIGKILL)
            killed = true
        }
        if killed && Date() > deadline.addingTimeInterval(5) { break }   // a grandchild holds the pipe
    }
    close(out.read)
    close(err.read)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = status & 0x7f == 0
    let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    var stderrText = String(decoding: collected[err.read]!, as: UTF8.self)
    if killed { stderrText += "\n[test support: killed after \(Int(timeout)) s]" }
    return CommandResult(status: code, stdout: String(decoding: collected[out.read]!, as: UTF8.self), stderr: stderrText)
}

extension TestRoot {
    /// Runs `berth ARGS` bound to this test root.
    @discardableResult
    public func berth(_ arguments: String..., directory: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
        try runProcess(Repository.berthExecutable, arguments, environment: environment,
                       directory: directory, stdin: stdin)
    }

    @discardableResult
    public func berth(arguments: [String], directory: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
        try runProcess(Repository.berthExecutable, arguments, environment: environment,
                       directory: directory, stdin: stdin)
    }
}
