@testable import Runtime
import Testing

@Suite struct CapabilityTests {
    @Test func dockerDefaultMatchesCapEff() {
        #expect(CapabilitySet.dockerDefault.hex == "00000000a80425fb")
        #expect(CapabilitySet.dockerDefault.members.count == 14)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var add: [String] = []
        var drop: [String] = []
        var privileged = false
        var expected: UInt64
        var unknown: [String] = []
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "default", expected: 0xa80425fb),
        Case(name: "add SYS_ADMIN", add: ["SYS_ADMIN"], expected: 0xa80425fb | 1 << 21),
        Case(name: "add with CAP_ prefix, lower case", add: ["cap_net_admin"], expected: 0xa80425fb | 1 << 12),
        Case(name: "drop MKNOD", drop: ["MKNOD"], expected: 0xa80425fb & ~(1 << 27)),
        Case(name: "drop ALL", drop: ["ALL"], expected: 0),
        Case(name: "drop ALL then add CHOWN", add: ["CHOWN"], drop: ["ALL"], expected: 1),
        Case(name: "add ALL", add: ["ALL"], expected: CapabilitySet.full.mask),
        Case(name: "privileged", drop: ["CHOWN"], privileged: true, expected: CapabilitySet.full.mask),
        Case(name: "unknown names are reported", add: ["FLY"], drop: ["SWIM"], expected: 0xa80425fb, unknown: ["SWIM", "FLY"]),
    ])
    func resolve(_ c: Case) {
        let r = ProcessCapabilities.resolve(add: c.add, drop: c.drop, privileged: c.privileged)
        #expect(r.capabilities.effective.mask == c.expected)
        #expect(r.capabilities.bounding == r.capabilities.permitted)
        #expect(r.unknown == c.unknown)
    }

    @Test func namesRoundTrip() {
        for cap in Capability.all {
            #expect(Capability(name: cap.name) == cap)
        }
        #expect(Capability(name: "CAP_CHECKPOINT_RESTORE")?.bit == 40)
    }
}
