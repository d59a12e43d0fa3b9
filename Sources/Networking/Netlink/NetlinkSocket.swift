import CNetlink
import Diagnostics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Something that sends netlink requests and returns the replies; the real
/// socket, or a fake in tests.
public protocol NetlinkTransport: AnyObject {
    /// Sends one request and returns every reply message up to the ACK (or
    /// NLMSG_DONE for dumps). Throws a SystemError for an NLMSG_ERROR.
    func request(_ message: NetlinkMessage, what: String) throws -> [NetlinkReply]

    /// Sends requests that each answer with an ACK only (no dumps), in
    /// order; throws the error of the first one the kernel refused (the
    /// others are still applied: the caller undoes the whole change).
    func requestAll(_ messages: [(message: NetlinkMessage, what: String)]) throws
}

extension NetlinkTransport {
    /// One request after the other (fakes in tests).
    public func requestAll(_ messages: [(message: NetlinkMessage, what: String)]) throws {
        for m in messages { _ = try request(m.message, what: m.what) }
    }
}

/// An rtnetlink socket, bound to the network namespace it was opened in.
public final class NetlinkSocket: NetlinkTransport {
    private let fd: Int32
    private var sequence: UInt32 = 1

    /// Opens a socket in the calling thread's network namespace.
    public init() throws {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard fd >= 0 else { throw SystemError.current("socket AF_NETLINK") }
        var addr = sockaddr_nl()
        addr.nl_family = sa_family_t(AF_NETLINK)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard rc == 0 else {
            let e = SystemError.current("bind AF_NETLINK")
            close(fd)
            throw e
        }
        var one: Int32 = 1
        // NETLINK_EXT_ACK (11) and NETLINK_CAP_ACK (10): smaller error replies.
        _ = setsockopt(fd, 270 /* SOL_NETLINK */, 10, &one, socklen_t(4))
    }

    private init(fd: Int32) { self.fd = fd }

    /// Takes over an AF_NETLINK socket made elsewhere (e.g. inside another
    /// network namespace) and binds it; closes it on failure.
    static func adopt(_ fd: Int32, what: String) throws -> NetlinkSocket {
        var addr = sockaddr_nl()
        addr.nl_family = sa_family_t(AF_NETLINK)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard rc == 0 else {
            let e = SystemError.current("bind AF_NETLINK in", what)
            close(fd)
            throw e
        }
        return NetlinkSocket(fd: fd)
    }

    deinit { close(fd) }

    /// Opens a socket inside the network namespace at `path` (e.g.
    /// `/proc/<pid>/ns/net` or a bind-mounted netns file). setns() affects
    /// only the calling thread, so a dedicated thread enters the namespace,
    /// creates the socket, and switches back; the socket stays bound to the
    /// namespace it was created in.
    public static func open(namespace path: String) throws -> NetlinkSocket {
        let target = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw SystemError.current("open network namespace", path) }
        defer { close(target) }
        let result = NamespaceThread.run { () -> Result<Int32, SystemError> in
            let home = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard home >= 0 else { return .failure(SystemError.current("open", "/proc/thread-self/ns/net")) }
            defer { close(home) }
            guard setns(target, berth_clone_newnet) == 0 else { return .failure(SystemError.current("setns CLONE_NEWNET", path)) }
            let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            let saved = errno
            // Back home before anything else; the thread ends right after.
            _ = setns(home, berth_clone_newnet)
            guard s >= 0 else { return .failure(SystemError("socket AF_NETLINK in", path, errno: saved)) }
            return .success(s)
        }
        return try adopt(try result.get(), what: path)
    }

    /// `count` sequence numbers in a row; returns the first.
    func nextSequences(_ count: Int) -> UInt32 {
        let first = sequence
        sequence &+= UInt32(count)
        return first
    }

    /// Sends one datagram whole (EINTR retried).
    private func send(_ bytes: [UInt8], what: String) throws {
        var sent: Int
        repeat {
            sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        } while sent < 0 && errno == EINTR
        guard sent == bytes.count else { throw SystemError.current("netlink send", what) }
    }

    /// The reply messages of the next datagram the kernel sends (EINTR
    /// retried).
    private func receive(into buffer: inout [UInt8], what: String) throws -> [NetlinkReply] {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return NetlinkReply.split(Array(buffer[0..<n])) }
            if errno != EINTR { throw SystemError.current("netlink recv", what) }
        }
    }

    public func request(_ message: NetlinkMessage, what: String) throws -> [NetlinkReply] {
        var m = message
        m.sequence = nextSequences(1)
        try send(m.encoded(), what: what)
        var replies: [NetlinkReply] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let isDump = m.flags & RT.dump == RT.dump
        while true {
            for r in try receive(into: &buffer, what: what) where r.sequence == m.sequence {
                if r.type == RT.nlmsgDone { return replies }
                if let code = r.errorCode {
                    if code == 0 { return replies }
                    throw SystemError(what, errno: code)
                }
                replies.append(r)
                if !isDump && m.flags & RT.ack == 0 { return replies }
            }
        }
    }
}

extension NetlinkSocket {
    /// All requests in one datagram (one `send`, one pass of the kernel's
    /// netlink receive loop, which answers each in turn), then their ACKs.
    /// The kernel goes on after a refused request, so every answer is read
    /// before the first error is thrown.
    public func requestAll(_ messages: [(message: NetlinkMessage, what: String)]) throws {
        guard !messages.isEmpty else { return }
        let first = nextSequences(messages.count)
        try send(NetlinkSocket.batch(messages.map(\.message), first: first), what: messages[0].what)
        var pending = Set(0..<messages.count)
        var failure: SystemError?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !pending.isEmpty {
            for r in try receive(into: &buffer, what: messages[0].what) {
                let i = Int(r.sequence &- first)
                guard i >= 0, i < messages.count, let code = r.errorCode, pending.remove(i) != nil else { continue }
                if code != 0, failure == nil { failure = SystemError(messages[i].what, errno: code) }
            }
        }
        if let failure { throw failure }
    }

    /// The messages with consecutive sequence numbers from `first` and the
    /// ACK flag, back to back (each padded to 4 bytes).
    static func batch(_ messages: [NetlinkMessage], first: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        for (i, var m) in messages.enumerated() {
            m.sequence = first &+ UInt32(i)
            m.flags |= RT.ack
            let e = m.encoded()
            bytes += e
            bytes += [UInt8](repeating: 0, count: NetlinkEncoding.align(e.count) - e.count)
        }
        return bytes
    }
}

/// Runs a closure on a fresh thread and waits for it: for work that must
/// change per-thread kernel state (setns) without touching Swift's
/// cooperative threads.
enum NamespaceThread {
    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    static func run<T>(_ body: @escaping @Sendable () -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        guard let v = box.value else { preconditionFailure("namespace thread produced no value") }
        return v
    }
}
