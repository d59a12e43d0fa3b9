import Diagnostics
import IPAddress
#if canImport(Glibc)
import Glibc
#endif

/// The DNS responder of one network, run by the `berth-dns` helper: answers
/// berth's names from the records file (reloaded when berth replaces it) and
/// forwards everything else to the upstream resolvers listed in that file.
/// UDP and TCP (RFC 7766) on the same address: a UDP answer that does not
/// fit (512 bytes without EDNS) carries the TC bit and the client asks again
/// over TCP; TCP queries for other names are forwarded over TCP.
/// Single-threaded: one poll loop over the listening sockets, the upstream
/// UDP socket and the open TCP connections. It exits when its records file
/// disappears.
public final class DNSServer {
    let listen: IPv4Address
    let port: UInt16
    let recordsPath: String
    var records = DNSRecords()
    var recordsStamp: (ino_t, Int, Int, off_t) = (0, 0, 0, -1)
    var turns: [String: Int] = [:]
    var server: Int32 = -1
    var upstream: Int32 = -1
    var nextID: UInt16 = 1
    struct Pending { var client: sockaddr_in; var originalID: UInt16; var deadline: Double; var query: DNSMessage }
    var pending: [UInt16: Pending] = [:]
    var listener: Int32 = -1
    /// A TCP client: bytes read but not yet a whole message, bytes to write.
    struct TCPClient {
        /// Tells connections apart when the kernel reuses a closed one's fd.
        var serial: UInt64
        var input: [UInt8] = []
        var output: [UInt8] = []
        var lastActive: Double
        var readClosed = false
    }
    var nextSerial: UInt64 = 1
    var clients: [Int32: TCPClient] = [:]
    /// A TCP query forwarded upstream on its own connection.
    struct TCPForward {
        var client: Int32
        var clientSerial: UInt64
        var query: DNSMessage
        var output: [UInt8]
        var input: [UInt8] = []
        var connected = false
        var deadline: Double
    }
    var forwards: [Int32: TCPForward] = [:]
    /// Connections beyond this are refused (closed at once).
    static let maxClients = 64
    /// An idle TCP client is closed after this many seconds (RFC 7766 §6.2.3).
    static let idleTimeout = 10.0

    public init(listen: IPv4Address, port: UInt16 = 53, records: String) {
        self.listen = listen
        self.port = port
        recordsPath = records
    }

    /// Binds the sockets; after this returns the helper reports "ready".
    public func bind() throws {
        server = try DNSServer.udpSocket(bindTo: listen, port: port)
        upstream = try DNSServer.udpSocket(bindTo: IPv4Address(0), port: 0)
        listener = try DNSServer.tcpListener(bindTo: listen, port: port)
        _ = reloadIfChanged()
    }

    /// Serves until the records file is removed.
    public func run() throws {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            // Fixed sockets first, then the TCP clients and forwards of this turn.
            let clientFDs = Array(clients.keys), forwardFDs = Array(forwards.keys)
            var fds = [pollfd(fd: server, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: upstream, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for fd in clientFDs {
                let out = clients[fd]?.output.isEmpty == false
                let reading = clients[fd]?.readClosed == false
                fds.append(pollfd(fd: fd, events: (reading ? Int16(POLLIN) : 0) | (out ? Int16(POLLOUT) : 0), revents: 0))
            }
            for fd in forwardFDs {
                let f = forwards[fd]
                let wantsWrite = f?.connected == false || f?.output.isEmpty == false
                fds.append(pollfd(fd: fd, events: wantsWrite ? Int16(POLLOUT) : Int16(POLLIN), revents: 0))
            }
            let n = poll(&fds, nfds_t(fds.count), 1000)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.current("poll", "DNS sockets")
            }
            if !reloadIfChanged() { return }
            expire()
            if fds[0].revents & Int16(POLLIN) != 0 {
                var from = sockaddr_in()
                var len = socklen_t(MemoryLayout<sockaddr_in>.size)
                let r = withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(server, &buf, buf.count, 0, $0, &len) }
                }
                if r > 0 { handleQuery(Array(buf[0..<r]), from: from) }
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                let r = recv(upstream, &buf, buf.count, 0)
                if r > 0 { handleUpstreamReply(Array(buf[0..<r])) }
            }
            if fds[2].revents & Int16(POLLIN) != 0 { acceptClient() }
            for (i, fd) in clientFDs.enumerated() {
                serviceClient(fd, revents: fds[3 + i].revents, buffer: &buf)
            }
            for (i, fd) in forwardFDs.enumerated() {
                serviceForward(fd, revents: fds[3 + clientFDs.count + i].revents, buffer: &buf)
            }
        }
    }

    /// The local answer for `q`, rotating replicas per name and type; nil
    /// when the name is not berth's.
    func localAnswer(_ q: DNSMessage) -> DNSMessage? {
        let key = q.questions.first.map { DNSRecords.normalize($0.name) + "/\($0.type)" } ?? ""
        let turn = turns[key, default: 0]
        turns[key] = turn &+ 1
        return records.answer(q, turn: turn)
    }

    func handleQuery(_ bytes: [UInt8], from: sockaddr_in) {
        guard let q = try? DNSMessage.decode(bytes), !q.isResponse else { return }
        if let answer = localAnswer(q) {
            send(DNSTransport.reply(answer, for: q, limit: DNSTransport.udpLimit(for: q)), to: from)
            return
        }
        guard let up = records.upstreams.first.flatMap(DNSServer.parseEndpoint) else {
            send(DNSRecords.failure(q, code: .nameError).encode(), to: from)
            return
        }
        // Forward with our own id; remember whom to answer.
        let id = nextID
        nextID = nextID == UInt16.max ? 1 : nextID + 1
        var fwd = bytes
        fwd[0] = UInt8(id >> 8); fwd[1] = UInt8(id & 0xff)
        pending[id] = Pending(client: from, originalID: q.id, deadline: DNSServer.clock() + 5, query: q)
        var to = up
        _ = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(upstream, fwd, fwd.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    func handleUpstreamReply(_ bytes: [UInt8]) {
        guard bytes.count >= 12 else { return }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let p = pending.removeValue(forKey: id) else { return }
        var reply = bytes
        reply[0] = UInt8(p.originalID >> 8); reply[1] = UInt8(p.originalID & 0xff)
        send(reply, to: p.client)
    }

    func expire() {
        let now = DNSServer.clock()
        for (id, p) in pending where p.deadline < now {
            pending[id] = nil
            send(DNSRecords.failure(p.query, code: .serverFailure).encode(), to: p.client)
        }
        for (fd, f) in forwards where f.deadline < now { finishForward(fd, reply: nil) }
    }

    // MARK: TCP

    func acceptClient() {
        // accept4 is not visible without _GNU_SOURCE; the helper is single-threaded.
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard clients.count < DNSServer.maxClients else {
            close(fd)
            return
        }
        clients[fd] = TCPClient(serial: nextSerial, lastActive: DNSServer.clock())
        nextSerial &+= 1
    }

    func closeClient(_ fd: Int32) {
        clients[fd] = nil
        close(fd)
    }

    func serviceClient(_ fd: Int32, revents: Int16, buffer: inout [UInt8]) {
        guard clients[fd] != nil else { return }
        let now = DNSServer.clock()
        if revents & Int16(POLLIN) != 0 {
            let r = read(fd, &buffer, buffer.count)
            if r < 0 && errno != EAGAIN && errno != EINTR { return closeClient(fd) }
            if r == 0 {
                // The client finished sending (e.g. shutdown(SHUT_WR)): answer what it asked, then close.
                clients[fd]?.readClosed = true
            } else if r > 0 {
                clients[fd]?.input += buffer[0..<r]
                clients[fd]?.lastActive = now
                var input = clients[fd]?.input ?? []
                let messages = DNSTransport.unframe(&input)
                clients[fd]?.input = input
                for message in messages { handleTCPQuery(message, client: fd) }
            }
        } else if revents & Int16(POLLERR) != 0 {
            return closeClient(fd)
        }
        guard var c = clients[fd] else { return }
        // Gone entirely with nothing left to say (also ends a POLLHUP busy loop).
        if revents & Int16(POLLHUP) != 0 && c.output.isEmpty { return closeClient(fd) }
        if !c.output.isEmpty && revents & Int16(POLLOUT | POLLHUP) != 0 {
            // MSG_NOSIGNAL: a client that went away must not SIGPIPE the helper.
            let w = c.output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if w < 0 && errno != EAGAIN && errno != EINTR { return closeClient(fd) }
            if w > 0 { c.output.removeFirst(w); c.lastActive = now }
        }
        clients[fd] = c
        let waiting = forwards.values.contains { $0.client == fd && $0.clientSerial == c.serial }
        if c.output.isEmpty && !waiting && (c.readClosed || now - c.lastActive > DNSServer.idleTimeout) {
            closeClient(fd)
        }
    }

    /// Queues a framed reply to a TCP client (if it is still connected:
    /// `serial` tells a reused fd apart).
    func queue(_ message: [UInt8], to client: Int32, serial: UInt64? = nil) {
        guard let c = clients[client], serial == nil || c.serial == serial,
              let framed = DNSTransport.frame(message) else { return }
        clients[client]?.output += framed
    }

    func handleTCPQuery(_ bytes: [UInt8], client: Int32) {
        guard let q = try? DNSMessage.decode(bytes), !q.isResponse else { return }
        if let answer = localAnswer(q) {
            return queue(DNSTransport.reply(answer, for: q, limit: DNSTransport.maxTCPMessage), to: client)
        }
        guard let up = records.upstreams.first.flatMap(DNSServer.parseEndpoint),
              let framed = DNSTransport.frame(bytes) else {
            return queue(DNSRecords.failure(q, code: .nameError).encode(), to: client)
        }
        // Over TCP to the upstream too: the answer may be large.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return queue(DNSRecords.failure(q, code: .serverFailure).encode(), to: client) }
        var to = up
        let rc = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 || errno == EINPROGRESS else {
            close(fd)
            return queue(DNSRecords.failure(q, code: .serverFailure).encode(), to: client)
        }
        forwards[fd] = TCPForward(client: client, clientSerial: clients[client]?.serial ?? 0, query: q, output: framed,
                                  connected: rc == 0,
                                  deadline: DNSServer.clock() + 5)
    }

    func finishForward(_ fd: Int32, reply: [UInt8]?) {
        guard let f = forwards.removeValue(forKey: fd) else { return }
        close(fd)
        queue(reply ?? DNSRecords.failure(f.query, code: .serverFailure).encode(), to: f.client, serial: f.clientSerial)
    }

    func serviceForward(_ fd: Int32, revents: Int16, buffer: inout [UInt8]) {
        guard var f = forwards[fd] else { return }
        if !f.connected {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err == 0 else { return finishForward(fd, reply: nil) }
            f.connected = true
        }
        if !f.output.isEmpty {
            let w = f.output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if w < 0 && errno != EAGAIN && errno != EINTR { return finishForward(fd, reply: nil) }
            if w > 0 { f.output.removeFirst(w) }
        } else if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let r = read(fd, &buffer, buffer.count)
            if r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) { return finishForward(fd, reply: nil) }
            if r > 0 {
                f.input += buffer[0..<r]
                if let reply = DNSTransport.unframe(&f.input).first { return finishForward(fd, reply: reply) }
            }
        }
        forwards[fd] = f
    }

    func send(_ bytes: [UInt8], to: sockaddr_in) {
        var addr = to
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(server, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// Reloads the records when the file changed; false when it is gone.
    func reloadIfChanged() -> Bool {
        var st = stat()
        guard stat(recordsPath, &st) == 0 else { return false }
        let stamp = (st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size)
        if stamp != recordsStamp {
            guard let fp = fopen(recordsPath, "r") else { return true }
            var data: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = fread(&chunk, 1, chunk.count, fp)
                if n <= 0 { break }
                data += chunk[0..<n]
            }
            fclose(fp)
            records = DNSRecords.parse(String(decoding: data, as: UTF8.self))
            recordsStamp = stamp
        }
        return true
    }

    static func clock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// `1.2.3.4` or `1.2.3.4:5353` → sockaddr_in.
    static func parseEndpoint(_ text: String) -> sockaddr_in? {
        let parts = text.split(separator: ":")
        guard let ip = IPv4Address(parts[0]) else { return nil }
        let port = parts.count > 1 ? UInt16(parts[1]) ?? 53 : 53
        return ip.socketAddress(port: port)
    }

    static func tcpListener(bindTo ip: IPv4Address, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket AF_INET SOCK_STREAM") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = ip.socketAddress(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 64) == 0 else {
            let e = SystemError.current(rc == 0 ? "listen" : "bind", "\(ip):\(port)/tcp")
            close(fd)
            throw e
        }
        return fd
    }

    static func udpSocket(bindTo ip: IPv4Address, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket AF_INET SOCK_DGRAM") }
        var addr = ip.socketAddress(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = SystemError.current("bind", "\(ip):\(port)/udp")
            close(fd)
            throw e
        }
        return fd
    }
}

extension DNSServer {
    /// The `berth-dns` entry point: `berth-dns <listen-ipv4> <records-file>`.
    /// Binds, prints "ready" on stdout (berth waits for it), then serves.
    public static func helperMain(_ arguments: [String]) -> Int32 {
        guard arguments.count == 3, let ip = IPv4Address(arguments[1]) else {
            writeError("usage: berth-dns <listen-ipv4> <records-file>\n")
            return 2
        }
        let s = DNSServer(listen: ip, records: arguments[2])
        do {
            try s.bind()
            let ready = "ready\n"
            _ = write(1, ready, ready.utf8.count)
            // stdout is berth's pipe: close it so berth sees EOF after "ready".
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 1); close(null) }
            try s.run()
            return 0
        } catch {
            writeError("berth-dns: \(error)\n")
            return 1
        }
    }
}

func writeError(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}
