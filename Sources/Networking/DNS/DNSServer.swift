import Diagnostics
#if canImport(Glibc)
import Glibc
#endif

/// The DNS responder of one network, run by the `berth-dns` helper: answers
/// berth's names from the records file (reloaded when berth replaces it) and
/// forwards everything else to the upstream resolvers listed in that file.
/// Single-threaded: one poll loop over the listening socket and one upstream
/// socket. It exits when its records file disappears.
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

    public init(listen: IPv4Address, port: UInt16 = 53, records: String) {
        self.listen = listen
        self.port = port
        recordsPath = records
    }

    /// Binds the sockets; after this returns the helper reports "ready".
    public func bind() throws {
        server = try DNSServer.udpSocket(bindTo: listen, port: port)
        upstream = try DNSServer.udpSocket(bindTo: IPv4Address(0), port: 0)
        _ = reloadIfChanged()
    }

    /// Serves until the records file is removed.
    public func run() throws {
        var fds = [pollfd(fd: server, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = poll(&fds, 2, 1000)
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
        }
    }

    func handleQuery(_ bytes: [UInt8], from: sockaddr_in) {
        guard let q = try? DNSMessage.decode(bytes), !q.isResponse else { return }
        let key = q.questions.first.map { DNSRecords.normalize($0.name) + "/\($0.type)" } ?? ""
        let turn = turns[key, default: 0]
        turns[key] = turn &+ 1
        if let answer = records.answer(q, turn: turn) {
            send(answer.encode(), to: from)
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
        return sockaddrIn(ip, port)
    }

    static func sockaddrIn(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = ip.value.bigEndian
        return a
    }

    static func udpSocket(bindTo ip: IPv4Address, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.current("socket AF_INET SOCK_DGRAM") }
        var addr = sockaddrIn(ip, port)
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
