/// Loading Docker-format JSON seccomp profiles (`security_opt: seccomp=file.json`).
extension SeccompProfile {
    public struct LoadError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "seccomp profile: \(message)" }
    }

    /// Parses a Docker/moby seccomp profile. Rules whose `includes.arches`
    /// exclude amd64 are dropped; `includes.caps`/`excludes.caps` become
    /// capability gates; `minKernel` is not checked (berth needs ≥ 5.12).
    public static func parse(json text: String) throws -> SeccompProfile {
        var parser = SeccompJSONParser(Array(text.utf8))
        let root = try parser.parseDocument()
        guard case .object(let top) = root else { throw LoadError(message: "top level is not an object") }
        let defaultErrno = top["defaultErrnoRet"]?.uint.map { UInt16(truncatingIfNeeded: $0) } ?? 1
        guard let da = top["defaultAction"]?.string else { throw LoadError(message: "missing defaultAction") }
        let defaultAction = try action(da, errno: defaultErrno)
        var rules: [Rule] = []
        for (i, entry) in (top["syscalls"]?.array ?? []).enumerated() {
            guard case .object(let o) = entry else { throw LoadError(message: "syscalls[\(i)] is not an object") }
            var names = (o["names"]?.array ?? []).compactMap(\.string)
            if let n = o["name"]?.string { names.append(n) }
            guard let a = o["action"]?.string else { throw LoadError(message: "syscalls[\(i)]: missing action") }
            let act = try action(a, errno: o["errnoRet"]?.uint.map { UInt16(truncatingIfNeeded: $0) } ?? 1)
            var conditions: [Condition] = []
            for (j, arg) in (o["args"]?.array ?? []).enumerated() {
                guard case .object(let c) = arg, let index = c["index"]?.uint, let value = c["value"]?.uint,
                      let opName = c["op"]?.string else {
                    throw LoadError(message: "syscalls[\(i)].args[\(j)]: needs index, value and op")
                }
                guard let op = Operator(rawValue: opName) else {
                    throw LoadError(message: "syscalls[\(i)].args[\(j)]: unknown op \(opName)")
                }
                conditions.append(Condition(index: UInt32(truncatingIfNeeded: index), value: value,
                                            valueTwo: c["valueTwo"]?.uint ?? 0, op: op))
            }
            let includes = o["includes"]?.objectValue ?? [:]
            let excludes = o["excludes"]?.objectValue ?? [:]
            let arches = (includes["arches"]?.array ?? []).compactMap(\.string)
            if !arches.isEmpty && !arches.contains("amd64") && !arches.contains("x86_64") { continue }
            let excludedArches = (excludes["arches"]?.array ?? []).compactMap(\.string)
            if excludedArches.contains("amd64") || excludedArches.contains("x86_64") { continue }
            let onlyWith = (includes["caps"]?.array ?? []).compactMap(\.string).compactMap { Capability(name: $0) }
            let unless = (excludes["caps"]?.array ?? []).compactMap(\.string).compactMap { Capability(name: $0) }
            rules.append(Rule(names, act, conditions: conditions, onlyWith: onlyWith, unless: unless))
        }
        return SeccompProfile(defaultAction: defaultAction, rules: rules)
    }

    static func action(_ name: String, errno: UInt16) throws -> Action {
        switch name {
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_ERRNO": return .errno(errno)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_LOG": return .log
        case "SCMP_ACT_TRACE": return .trace(errno)
        default: throw LoadError(message: "unknown action \(name)")
        }
    }
}

/// A minimal JSON value and parser (the runtime avoids Foundation).
enum SeccompJSON: Equatable {
    case object([String: SeccompJSON])
    case array([SeccompJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [SeccompJSON]? { if case .array(let a) = self { a } else { nil } }
    var objectValue: [String: SeccompJSON]? { if case .object(let o) = self { o } else { nil } }
    /// Non-negative integers (profile values reach 2^64-1).
    var uint: UInt64? {
        guard case .number(let n) = self else { return nil }
        if let v = UInt64(n) { return v }
        if let v = Int64(n), v < 0 { return UInt64(bitPattern: v) }
        return nil
    }
}

struct SeccompJSONParser {
    private let bytes: [UInt8]
    private var i = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ what: String) -> SeccompProfile.LoadError {
        SeccompProfile.LoadError(message: "invalid JSON at byte \(i): \(what)")
    }

    mutating func parseDocument() throws -> SeccompJSON {
        let v = try value()
        skipSpace()
        guard i == bytes.count else { throw fail("trailing content") }
        return v
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 }
    }

    private mutating func value() throws -> SeccompJSON {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var o: [String: SeccompJSON] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                skipSpace()
                guard case .string(let k) = try value() else { throw fail("object key must be a string") }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                o[k] = try value()
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [SeccompJSON] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                a.append(try value())
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\") {
                    guard i < bytes.count else { throw fail("bad escape") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "u"):
                        guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                        out += Array(String(Character(scalar)).utf8)
                        i += 4
                    default: out.append(e)
                    }
                } else {
                    out.append(c)
                }
            }
            return .string(String(decoding: out, as: UTF8.self))
        case UInt8(ascii: "t"):
            guard bytes[i...].starts(with: Array("true".utf8)) else { throw fail("bad literal") }
            i += 4
            return .bool(true)
        case UInt8(ascii: "f"):
            guard bytes[i...].starts(with: Array("false".utf8)) else { throw fail("bad literal") }
            i += 5
            return .bool(false)
        case UInt8(ascii: "n"):
            guard bytes[i...].starts(with: Array("null".utf8)) else { throw fail("bad literal") }
            i += 4
            return .null
        default:
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            guard i > start else { throw fail("unexpected character") }
            return .number(String(decoding: bytes[start..<i], as: UTF8.self))
        }
    }
}
