import ArgumentParser
import Foundation
import Testing
@testable import BerthCLI

/// `RunFastPath` reads an argument list exactly as ArgumentParser does, or
/// leaves it to ArgumentParser; the `RunOption` table is what ArgumentParser
/// itself reports for `run`.
@Suite struct RunFastPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var testDescription: String { arguments.joined(separator: " ") }
        init(_ arguments: String) { self.arguments = arguments.split(separator: " ").map(String.init) }
        init(words: [String]) { self.arguments = words }
    }

    /// Every field of the command and its option groups, by name, as the
    /// property wrappers print them (an unassigned one prints as
    /// `*definition*`, so a field the fast path left unset shows here).
    static func fields(_ c: RunCommand) -> [String] {
        func dump(_ value: Any, _ prefix: String) -> [String] {
            Mirror(reflecting: value).children.map { "\(prefix)\($0.label ?? "?")=\(String(describing: $0.value))" }
        }
        return dump(c, "") + dump(c.state, "state.") + dump(c.create, "create.")
    }

    static func parsed(_ hoisted: [String]) throws -> RunCommand {
        try #require(try Berth.parseAsRoot(hoisted) as? RunCommand)
    }

    @Test(arguments: [
        Case("run busybox"),
        Case("run --rm busybox true"),
        Case("run --rm --network none busybox true"),
        Case("run --rm --net=none busybox echo -n --help --version --rm"),
        Case("--root /r run -d --name web -p 8080:80 -e A=1 -e B=2 --env=C=3 nginx:1.25"),
        Case("run -it --rm busybox sh"),
        Case("run -dit --init -u 1000:1000 -w /tmp -h box busybox"),
        Case("run -ti -P -v /a:/b -v vol:/c:ro --volume=/d --mount type=tmpfs,target=/t --tmpfs /run busybox"),
        Case("run --read-only --privileged --cap-add NET_ADMIN --cap-drop=ALL --device /dev/null busybox"),
        Case("run --device-cgroup-rule c_1:3_rwm --restart always -m 64m busybox"),
        Case("run --cpus 1.5 --pids-limit 64 --stop-timeout 3 --stop-signal SIGKILL busybox sleep 1"),
        Case("run --cpus=2 --pids-limit=+7 --stop-timeout=007 busybox"),
        Case("run --network-alias a --net-alias=b --ip 10.0.0.2 --mac-address 02:42:ac:11:00:02 busybox"),
        Case("run --dns 1.1.1.1 --dns-search x --dns-option ndots:1 --dns-opt=a --add-host h:1.2.3.4 busybox"),
        Case("run --expose 80 --expose=81/udp -l a=b --label c --log-opt max-size=1m --env-file e busybox"),
        Case("run --entrypoint /bin/sh --rootfs /tmp/root bench -c true"),
        Case("run --rm busybox -- sh -c 'x'"),
        Case("run busybox --"),
        Case(words: ["run", "-e", "A= spaced", "--name=a=b", "busybox", "", "-x"]),
    ])
    func readsWhatArgumentParserReads(_ c: Case) throws {
        let hoisted = GlobalOptions.hoist(c.arguments)
        let fast = try #require(RunFastPath.parse(hoisted))
        #expect(Self.fields(fast) == Self.fields(try Self.parsed(hoisted)))
    }

    @Test(arguments: [
        Case("run --help"), Case("run --rm --help busybox"), Case("run -h"), Case("run"), Case("run --rm"),
        Case("run -- busybox"), Case("run - busybox"), Case("run --frobnicate busybox"), Case("run -x busybox"),
        Case("run --rm --rm busybox"), Case("run -d -d busybox"), Case("run -dd busybox"), Case("run -it -t busybox"),
        Case("run --name a --name b busybox"), Case("run --rm=true busybox"), Case("run --name busybox"),
        Case("run --name -x busybox"), Case("run -e -x busybox"), Case("run --name= busybox"),
        Case("run -ite A=1 busybox"), Case("run -eA=1 busybox"), Case("run -e=A=1 busybox"),
        Case("run --cpus abc busybox"), Case("run --pids-limit -1 busybox"), Case("run --pids-limit=-1 busybox"),
        Case("run --stop-timeout 1.5 busybox"), Case("run --cpus= busybox"), Case("run --= busybox"),
        Case("run --version"), Case("run --experimental-dump-help"), Case("run --generate-completion-script bash"),
        Case("run --dry-run busybox"), Case("--root /r run"), Case("create busybox"), Case("ps"), Case(""),
        Case(words: ["run", "--name", "", "busybox"]), Case(words: ["run", "--entrypoint", "", "busybox"]),
    ])
    func leavesTheRestToArgumentParser(_ c: Case) {
        #expect(RunFastPath.parse(GlobalOptions.hoist(c.arguments)) == nil)
    }

    /// Each option alone, by each of its names, in each spelling the fast
    /// path takes (a value that every option type reads: "1").
    @Test(arguments: RunOption.allCases)
    func readsEveryOptionAsArgumentParserDoes(_ option: RunOption) throws {
        var spellings: [[String]] = []
        for long in option.long {
            spellings += option.kind == .flag ? [["--\(long)"]] : [["--\(long)", "1"], ["--\(long)=1"]]
        }
        if let short = option.short {
            spellings.append(option.kind == .flag ? ["-\(short)"] : ["-\(short)", "1"])
        }
        for words in spellings {
            let once = ["run"] + words + ["busybox", "x"]
            let fast = try #require(RunFastPath.parse(once), "\(once)")
            #expect(Self.fields(fast) == Self.fields(try Self.parsed(once)), "\(once)")
            let twice = ["run"] + words + words + ["busybox"]
            if option.kind == .values {
                let fastTwice = try #require(RunFastPath.parse(twice), "\(twice)")
                #expect(Self.fields(fastTwice) == Self.fields(try Self.parsed(twice)), "\(twice)")
            } else {
                #expect(RunFastPath.parse(twice) == nil, "\(twice)")
            }
        }
    }

    /// The table against ArgumentParser's own description of `run`
    /// (`--experimental-dump-help`): the same options, names, kinds and
    /// repeatability. An option added to `run` without a table entry (it
    /// could not be declared with `.run(…)`) fails here.
    @Test func tableIsWhatArgumentParserReports() throws {
        let dump = RunCommand._dumpHelp()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        let arguments = try #require(command["arguments"] as? [[String: Any]])
        var reported: [String] = []
        for argument in arguments {
            let kind = try #require(argument["kind"] as? String)
            guard kind != "positional" else { continue }
            let names = try #require(argument["names"] as? [[String: Any]])
            let spelled = names.compactMap { n -> String? in
                guard let name = n["name"] as? String else { return nil }
                return (n["kind"] as? String == "short" ? "-" : "--") + name
            }.sorted()
            if spelled == ["--help"] { continue }  // ArgumentParser's own
            let repeating = argument["isRepeating"] as? Bool ?? false
            reported.append("\(spelled.joined(separator: ",")) \(kind)\(repeating ? " repeating" : "")")
        }
        let table = RunOption.allCases.map { option -> String in
            let spelled = (option.long.map { "--" + $0 } + (option.short.map { ["-\($0)"] } ?? [])).sorted()
            let kind = switch option.kind {
            case .flag: "flag"
            case .value: "option"
            case .values: "option repeating"
            }
            return "\(spelled.joined(separator: ",")) \(kind)"
        }
        #expect(reported.sorted() == table.sorted())
    }

    /// A property added to the command or its option groups needs a line
    /// in `RunFastPath` (`set` and `RunCommand.unset`).
    @Test func knowsEveryProperty() {
        #expect(Mirror(reflecting: RunCommand()).children.count == 5)
        #expect(Mirror(reflecting: CreateOptions()).children.count == 39)
        #expect(Mirror(reflecting: StateOptions()).children.count == 1)
        #expect(RunOption.allCases.count == 3 + 39)
    }
}
