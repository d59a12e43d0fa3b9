// berth-netbench: times Networking's create/delete/attach and sets up a
// network with a published port for bench/network/run.sh. Root only; all
// objects live under the given state root and are removed by `teardown`.
import Diagnostics
import Foundation
import Networking

func usage() -> Never {
    print("usage: berth-netbench timings ROOT RUN N | setup ROOT RUN PID HOSTPORT | teardown ROOT RUN")
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 4 else { usage() }
let store = NetworkStore(paths: StatePaths(root: args[2], run: args[3]), upstreams: [])

func ms(_ start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func stats(_ name: String, _ xs: [Double]) {
    let s = xs.sorted()
    let median = s[s.count / 2]
    print(String(format: "%-22@ n=%d median %.2f ms  min %.2f ms  max %.2f ms", name as NSString, s.count, median, s[0], s[s.count - 1]))
}

/// Waits until no `berth-linkdel` runs: the kernel's part of a deletion the
/// helper took over is done. Rounds start from a quiet RTNL that way, and the
/// wait is reported too (what a deletion costs the kernel after the call).
func awaitDeletionsDone() {
    func helperRuns() -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        // A finished helper may stay a zombie a while (this VM's PID 1 reaps
        // late): its state is the third field of /proc/PID/stat.
        return entries.contains { e in
            guard e.first?.isNumber == true,
                  let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  stat.contains("(berth-linkdel)") else { return false }
            return !stat.contains(") Z ")
        }
    }
    while helperRuns() { usleep(500) }
}

do {
    switch args[1] {
    case "timings":
        guard args.count == 5, let n = Int(args[4]) else { usage() }
        var create: [Double] = [], remove: [Double] = [], attach: [Double] = [], detach: [Double] = []
        var removeDone: [Double] = [], detachDone: [Double] = []
        for i in 0..<n {
            var t = ContinuousClock.now
            let r = try store.create(name: "bench\(i)")
            create.append(ms(t))
            t = ContinuousClock.now
            try store.remove(r.id)
            remove.append(ms(t))
            awaitDeletionsDone()
            removeDone.append(ms(t))
        }
        let net = try store.create(name: "benchattach")
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        sleeper.arguments = ["--net", "sleep", "120"]
        try sleeper.run()
        usleep(100_000)
        let attacher = NetworkAttacher(store: store)
        for i in 0..<n {
            var t = ContinuousClock.now
            _ = try attacher.attach(AttachRequest(containerID: "c\(i)", containerName: "bench-c-\(i)", network: net.id,
                                                  namespace: .pid(sleeper.processIdentifier)))
            attach.append(ms(t))
            t = ContinuousClock.now
            try attacher.detach(containerID: "c\(i)", network: net.id)
            detach.append(ms(t))
            awaitDeletionsDone()
            detachDone.append(ms(t))
        }
        kill(sleeper.processIdentifier, SIGKILL)
        sleeper.waitUntilExit()
        try store.remove(net.id)
        stats("network create", create)
        stats("network remove", remove)
        stats("  kernel done", removeDone)
        stats("attach container", attach)
        stats("detach container", detach)
        stats("  kernel done", detachDone)
    case "setup":
        guard args.count == 6, let pid = Int32(args[4]) else { usage() }
        let net = try store.create(name: "bench")
        let a = try NetworkAttacher(store: store).attach(AttachRequest(containerID: "web", containerName: "bench-web-1",
                                                                        network: net.id, namespace: .pid(pid)))
        let publisher = PortPublisher(store: store)
        try publisher.publish(containerID: "web", network: net.id, bindings: try publisher.preflight([try PortRequest.parse("\(args[5]):80")]))
        print(a.ipv4)
    case "teardown":
        // Best effort, every network: a failed detach (its namespace gone)
        // must not leave the bridge and the table behind.
        var failed = false
        for n in try store.list() {
            for id in n.endpoints.keys {
                do { try NetworkAttacher(store: store).detach(containerID: id, network: n.id) } catch {
                    print("berth-netbench: detach \(id): \(error)")
                    failed = true
                }
            }
            do { try store.remove(n.id, droppingEndpoints: { _ in true }) } catch {
                print("berth-netbench: remove \(n.name): \(error)")
                failed = true
            }
        }
        if failed { exit(1) }
    default:
        usage()
    }
} catch {
    print("berth-netbench: \(error)")
    exit(1)
}
