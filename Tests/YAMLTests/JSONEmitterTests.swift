import Diagnostics
import Testing
import YAML

@Suite struct JSONEmitterTests {
    struct ScalarCase: CustomStringConvertible, Sendable {
        var description: String
        var yaml: String
        var json: String
    }

    @Test(arguments: [
        ScalarCase(description: "plain int", yaml: "8080", json: "8080"),
        ScalarCase(description: "negative int", yaml: "-12", json: "-12"),
        ScalarCase(description: "plus and leading zeros", yaml: "+007", json: "7"),
        ScalarCase(description: "hex", yaml: "0xff", json: "255"),
        ScalarCase(description: "octal", yaml: "0o17", json: "15"),
        ScalarCase(description: "float", yaml: "1.5", json: "1.5"),
        ScalarCase(description: "float without leading digit", yaml: ".5", json: "0.5"),
        ScalarCase(description: "float with trailing dot", yaml: "1.", json: "1.0"),
        ScalarCase(description: "exponent", yaml: "1e3", json: "1.0e3"),
        ScalarCase(description: "signed exponent", yaml: "-2.5E-3", json: "-2.5e-3"),
        ScalarCase(description: "infinity as string", yaml: ".inf", json: "\".inf\""),
        ScalarCase(description: "nan as string", yaml: ".NaN", json: "\".NaN\""),
        ScalarCase(description: "true", yaml: "true", json: "true"),
        ScalarCase(description: "False", yaml: "False", json: "false"),
        ScalarCase(description: "yes is a string in 1.2", yaml: "yes", json: "\"yes\""),
        ScalarCase(description: "null", yaml: "null", json: "null"),
        ScalarCase(description: "tilde", yaml: "~", json: "null"),
        ScalarCase(description: "empty", yaml: "", json: "null"),
        ScalarCase(description: "quoted number is a string", yaml: "'8080'", json: "\"8080\""),
        ScalarCase(description: "double-quoted true", yaml: "\"true\"", json: "\"true\""),
        ScalarCase(description: "!!str", yaml: "!!str 80", json: "\"80\""),
        ScalarCase(description: "!!int quoted", yaml: "!!int '80'", json: "80"),
        ScalarCase(description: "!!float of int", yaml: "!!float 3", json: "3.0"),
        ScalarCase(description: "port string", yaml: "80:80", json: "\"80:80\""),
        ScalarCase(description: "version string", yaml: "1.2.3", json: "\"1.2.3\""),
        ScalarCase(description: "escapes", yaml: "\"a\\\"b\\\\c\\n\\t\\u0001\\u2028\"",
                   json: "\"a\\\"b\\\\c\\n\\t\\u0001\\u2028\""),
        ScalarCase(description: "unicode kept", yaml: "héllo ✓ 😀", json: "\"héllo ✓ 😀\""),
        ScalarCase(description: "literal block", yaml: "|\n  a\n  b\n", json: "\"a\\nb\\n\""),
    ])
    func scalars(_ c: ScalarCase) throws {
        let node = try YAMLLoader.load(c.yaml, file: "f.yaml")
        #expect(JSONEmitter.emit(node, pretty: false) == c.json)
    }

    @Test func prettyObjectsAndArrays() throws {
        let node = try YAMLLoader.load("""
            services:
              web:
                ports: ["80:80", 443]
                environment: {}
                command: []
            """, file: "f.yaml")
        #expect(JSONEmitter.emit(node) == """
            {
              "services": {
                "web": {
                  "ports": [
                    "80:80",
                    443
                  ],
                  "environment": {},
                  "command": []
                }
              }
            }
            """)
        #expect(JSONEmitter.emit(node, pretty: false)
                == #"{"services":{"web":{"ports":["80:80",443],"environment":{},"command":[]}}}"#)
    }

    @Test func keysAreAlwaysStrings() throws {
        let node = try YAMLLoader.load("1: a\ntrue: b\n~: c\n[x, y]: d\n", file: "f.yaml")
        #expect(JSONEmitter.emit(node, pretty: false) == #"{"1":"a","true":"b","~":"c","[\"x\",\"y\"]":"d"}"#)
    }
}

@Suite struct PlainSafeStringTests {
    struct SafeCase: CustomStringConvertible, Sendable {
        var description: String { "\(text.debugDescription) → \(safe)" }
        var text: String
        var safe: Bool
    }

    @Test(arguments: [
        SafeCase(text: "nginx", safe: true),
        SafeCase(text: "nginx:1.25-alpine", safe: true),
        SafeCase(text: "80:80", safe: true),
        SafeCase(text: "1.2.3", safe: true),
        SafeCase(text: "service_started", safe: true),
        SafeCase(text: "/var/lib/data:/data:ro", safe: true),
        SafeCase(text: "hello world", safe: true),
        SafeCase(text: "", safe: false),
        SafeCase(text: "true", safe: false),
        SafeCase(text: "False", safe: false),
        SafeCase(text: "null", safe: false),
        SafeCase(text: "~", safe: false),
        SafeCase(text: "8080", safe: false),
        SafeCase(text: "-1", safe: false),
        SafeCase(text: "0x1F", safe: false),
        SafeCase(text: "0o17", safe: false),
        SafeCase(text: "1.5", safe: false),
        SafeCase(text: "1e3", safe: false),
        SafeCase(text: ".inf", safe: false),
        SafeCase(text: ".nan", safe: false),
        SafeCase(text: "yes", safe: false),
        SafeCase(text: "No", safe: false),
        SafeCase(text: "on", safe: false),
        SafeCase(text: "OFF", safe: false),
        SafeCase(text: "y", safe: false),
        SafeCase(text: "n", safe: false),
        SafeCase(text: "22:22", safe: false),
        SafeCase(text: "1:20:30", safe: false),
        SafeCase(text: "1_000", safe: false),
        SafeCase(text: "0b1010", safe: false),
        SafeCase(text: "1.5e+3", safe: false),
        SafeCase(text: "a: b", safe: false),
        SafeCase(text: "a #b", safe: false),
        SafeCase(text: " x", safe: false),
        SafeCase(text: "x ", safe: false),
        SafeCase(text: "*x", safe: false),
        SafeCase(text: "- x", safe: false),
        SafeCase(text: "a\nb", safe: false),
        SafeCase(text: "a\tb", safe: false),
        SafeCase(text: "<<", safe: false),
    ])
    func plainSafety(_ c: SafeCase) throws {
        #expect(Node.isPlainSafeString(c.text) == c.safe)
        if c.safe {
            // Safe text written plain reads back as the same plain string.
            let yaml = try YAMLEmitter.emit(.mapping(["v": .scalar(c.text)]))
            let back = try YAMLLoader.load(yaml, file: "f.yaml")["v"]
            #expect(back?.scalarValue == c.text)
            #expect(back?.scalarStyle == .plain)
            #expect(back?.resolvedScalar == .string(c.text))
        }
    }

    @Test func intAndBoolAccessors() throws {
        let node = try YAMLLoader.load("a: 3\nb: '3'\nc: true\nd: yes\n", file: "f.yaml")
        #expect(node["a"]?.intValue == 3)
        #expect(node["b"]?.intValue == nil)
        #expect(node["c"]?.boolValue == true)
        #expect(node["d"]?.boolValue == nil)
    }

    @Test func yaml11Booleans() throws {
        let node = try YAMLLoader.load("a: yes\nb: Off\nc: 'yes'\nd: true\ne: maybe\nf: !!str on\n", file: "f.yaml")
        #expect(node["a"]?.yaml11BoolValue == true)
        #expect(node["b"]?.yaml11BoolValue == false)
        #expect(node["c"]?.yaml11BoolValue == nil)
        #expect(node["d"]?.yaml11BoolValue == true)
        #expect(node["e"]?.yaml11BoolValue == nil)
        #expect(node["f"]?.yaml11BoolValue == nil)
    }
}
