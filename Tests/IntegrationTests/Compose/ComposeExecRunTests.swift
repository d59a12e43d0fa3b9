import Testing
import Foundation
import BerthTestSupport

/// `compose exec`, `compose run`, `compose cp` and `up
/// --abort-on-container-exit` on compose-samples/exec-run through the real
/// berth binary: real containers, real bridge and DNS, a real named volume.
@Suite(.serialized, .requiresRoot, .requiresKernel("overlay"), .requiresTool("/bin/busybox"))
struct ComposeExecRunTests {
    static let sample = Repository.root.appendingPathComponent("compose-samples/exec-run")

    /// Runs berth with the test's state and a per-test project name.
    func berth(_ t: TestRoot, _ args: [String], stdin: Data? = nil, timeout: Double = 60) throws -> CommandResult {
        try t.compose(args, in: Self.sample, stdin: stdin, timeout: timeout)
    }


    /// Names of every container in the test's state (not only the project's).
    func allContainers(_ t: TestRoot) throws -> [String] {
        try t.berth("ps", "-a", "--format", "json").stdout.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["Names"] as? String
        }.sorted()
    }

    @Test func execRunsInTheServiceContainer() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"]) }
            let up = try berth(t, ["up", "-d", "web"])
            #expect(up.status == 0, "\(up.stderr)")

            let failing = try berth(t, ["compose", "exec", "-T", "web", "sh", "-c", "echo from-exec; exit 3"])
            #expect(failing.status == 3, "\(failing.stderr)")
            #expect(failing.stdout == "from-exec\n")
            let env = try berth(t, ["compose", "exec", "-e", "EXTRA=x1", "web", "sh", "-c", "echo $GREETING-$EXTRA"])
            #expect(env.stdout == "hello-x1\n", "\(env.stderr)")
            let dir = try berth(t, ["compose", "exec", "-w", "/tmp", "web", "pwd"])
            #expect(dir.stdout == "/tmp\n", "\(dir.stderr)")
            let user = try berth(t, ["compose", "exec", "-u", "nobody", "web", "id", "-u"])
            #expect(user.stdout == "65534\n", "\(user.stderr)")
            // --privileged: more than Docker's default 14 capabilities (CapEff 00000000a80425fb).
            let caps = try berth(t, ["compose", "exec", "--privileged", "web", "grep", "CapEff", "/proc/self/status"])
            #expect(caps.status == 0 && !caps.stdout.contains("00000000a80425fb"), "\(caps.stdout)\(caps.stderr)")
            let plain = try berth(t, ["compose", "exec", "web", "grep", "CapEff", "/proc/self/status"])
            #expect(plain.stdout.contains("00000000a80425fb"), "\(plain.stdout)")
            let piped = try berth(t, ["compose", "exec", "-T", "web", "cat"], stdin: Data("piped in\n".utf8))
            #expect(piped.stdout == "piped in\n", "\(piped.stderr)")
            let second = try berth(t, ["compose", "exec", "--index", "2", "web", "true"])
            #expect(second.status == 1)
            #expect(second.stderr.contains("service \"web\" is not running container #2"), "\(second.stderr)")

            // cp both ways, through the running container.
            let hostFile = t.directory.appendingPathComponent("in.txt")
            try "copied in\n".write(to: hostFile, atomically: true, encoding: .utf8)
            let cpIn = try berth(t, ["compose", "cp", hostFile.path, "web:/data/in.txt"])
            #expect(cpIn.status == 0, "\(cpIn.stderr)")
            #expect(try berth(t, ["compose", "exec", "web", "cat", "/data/in.txt"]).stdout == "copied in\n")
            let out = t.directory.appendingPathComponent("out.txt")
            let cpOut = try berth(t, ["compose", "cp", "--index", "1", "web:/data/in.txt", out.path])
            #expect(cpOut.status == 0, "\(cpOut.stderr)")
            #expect((try? String(contentsOf: out, encoding: .utf8)) == "copied in\n")

            // -a keeps the source's owner; without it the copy belongs to root.
            #expect(chown(hostFile.path, 65534, 65534) == 0)
            #expect(try berth(t, ["compose", "cp", "-a", hostFile.path, "web:/tmp/kept"]).status == 0)
            #expect(try berth(t, ["compose", "cp", hostFile.path, "web:/tmp/root"]).status == 0)
            let owners = try berth(t, ["compose", "exec", "web", "stat", "-c", "%u", "/tmp/kept", "/tmp/root"])
            #expect(owners.stdout == "65534\n0\n", "\(owners.stderr)")

            // A stopped service: Compose's error.
            #expect(try berth(t, ["down", "-t", "1"]).status == 0)
            let stopped = try berth(t, ["compose", "exec", "web", "true"])
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains("service \"web\" is not running"), "\(stopped.stderr)")
            let noSuch = try berth(t, ["compose", "exec", "nope", "true"])
            #expect(noSuch.stderr.contains("no such service: nope"), "\(noSuch.stderr)")
        }
    }

    @Test func runStartsDependenciesAndRunsAOneOff() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            t.defer_("down -v") { _ = try self.berth(t, ["down", "-v", "-t", "1"]) }

            // Its dependency first; the one-off reaches it by name; --rm leaves nothing.
            let run = try berth(t, ["compose", "run", "--rm", "web", "sh", "-c",
                                    "echo run-$GREETING; echo saved > /data/f; nslookup db >/dev/null && echo resolved-db; exit 4"])
            #expect(run.status == 4, "\(run.stderr)")
            #expect(run.stdout.contains("run-hello\n"), "\(run.stdout)")
            #expect(run.stdout.contains("resolved-db\n"), "\(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("Container \(t.prefix)-db-1  Started"), "\(run.stderr)")
            let services = try berth(t, ["compose", "ps", "--services"])
            #expect(services.stdout == "db\n", "\(services.stdout)")
            #expect(try allContainers(t) == ["\(t.prefix)-db-1"])

            // -e overrides the service's value; the named volume is the service's.
            let env = try berth(t, ["compose", "run", "--rm", "-e", "GREETING=override", "web", "sh", "-c",
                                    "echo $GREETING; cat /data/f"])
            #expect(env.stdout == "override\nsaved\n", "\(env.stderr)")
            // --entrypoint (split as a shell would), with -w and -u.
            let entry = try berth(t, ["compose", "run", "--rm", "--entrypoint", "sh -c", "-w", "/tmp", "-u", "nobody",
                                      "web", "echo ep-$(pwd)-$(id -u)"])
            #expect(entry.stdout == "ep-/tmp-65534\n", "\(entry.stderr)")

            // -v binds a host directory; -p publishes a port (the service's own are not published).
            let mnt = t.directory.appendingPathComponent("mnt")
            let bound = try berth(t, ["compose", "run", "--rm", "--no-deps", "-v", "\(mnt.path):/mnt", "web",
                                      "sh", "-c", "echo bound > /mnt/out"])
            #expect(bound.status == 0, "\(bound.stderr)")
            #expect((try? String(contentsOf: mnt.appendingPathComponent("out"), encoding: .utf8)) == "bound\n")
            let port = Int.random(in: 20000...29999)
            let served = try berth(t, ["compose", "run", "-d", "-p", "127.0.0.1:\(port):8080", "web",
                                       "httpd", "-f", "-p", "8080", "-h", "/data"])
            #expect(served.status == 0, "\(served.stderr)")
            var page: CommandResult?
            for _ in 0..<30 {
                page = try runProcess(URL(fileURLWithPath: "/bin/busybox"),
                                      ["wget", "-q", "-O", "-", "http://127.0.0.1:\(port)/f"], timeout: 10)
                if page?.status == 0 { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(page?.stdout == "saved\n", "\(page?.stderr ?? "")")

            // Without --rm the one-off stays, labelled, named <project>-web-run-<12 hex>; down removes it.
            let kept = try berth(t, ["compose", "run", "--name", "\(t.prefix)-kept", "web", "true"])
            #expect(kept.status == 0, "\(kept.stderr)")
            let detached = try berth(t, ["compose", "run", "-d", "web", "sleep", "30"])
            #expect(detached.status == 0, "\(detached.stderr)")
            let name = detached.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(name.hasPrefix("\(t.prefix)-web-run-") && name.count == "\(t.prefix)-web-run-".count + 12, "\(name)")
            let label = try t.berth("ps", "-a", "-q", "--filter", "label=com.docker.compose.oneoff=True")
            #expect(label.stdout.split(separator: "\n").count == 3, "\(label.stdout)\(label.stderr)")
            #expect(try berth(t, ["down", "-t", "1"]).status == 0)
            #expect(try allContainers(t).isEmpty)

            // --no-deps: db is not started.
            let alone = try berth(t, ["compose", "run", "--rm", "--no-deps", "web", "echo", "alone"])
            #expect(alone.stdout == "alone\n", "\(alone.stderr)")
            #expect(try allContainers(t).isEmpty)
        }
    }

    @Test func upAbortsOnContainerExitWithItsExitCode() async throws {
        try await withTestRoot { t in
            try t.importBusybox()
            t.defer_("down -v") { _ = try self.berth(t, ["--profile", "abort", "down", "-v", "-t", "1"]) }

            let up = try berth(t, ["--profile", "abort", "up", "--abort-on-container-exit", "--no-color"])
            #expect(up.status == 3, "\(up.stdout)\(up.stderr)")
            #expect(up.stdout.contains("\(t.prefix)-failer-1  | failing now"), "\(up.stdout)")
            #expect(up.stdout.contains("\(t.prefix)-failer-1 exited with code 3"), "\(up.stdout)")
            #expect(up.stdout.contains("Aborting on container exit..."), "\(up.stdout)")
            let running = try berth(t, ["--profile", "abort", "compose", "ps", "-q"])
            #expect(running.stdout.isEmpty, "\(running.stdout)")

            // --exit-code-from: db's code (its TERM trap exits 7), not failer's;
            // --no-attach hides web's output.
            let from = try berth(t, ["--profile", "abort", "up", "--exit-code-from", "db", "--no-attach", "web", "--no-color"])
            #expect(from.status == 7, "\(from.stdout)\(from.stderr)")
            #expect(from.stdout.contains("db ready"), "\(from.stdout)")
            #expect(!from.stdout.contains("web up"), "\(from.stdout)")

            // Services named: only they are attached and stopped; their dependency db keeps running.
            let named = try berth(t, ["--profile", "abort", "up", "--abort-on-container-failure", "--no-color", "failer", "web"])
            #expect(named.status == 3, "\(named.stdout)\(named.stderr)")
            #expect(named.stdout.contains("web up") && !named.stdout.contains("db ready"), "\(named.stdout)")
            let still = try berth(t, ["--profile", "abort", "compose", "ps", "--services"])
            #expect(still.stdout == "db\n", "\(still.stdout)")
        }
    }
}
