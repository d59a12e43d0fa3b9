import Foundation
import Runtime
import SystemCalls
import Testing

@Suite struct VolumeSeederTests {
    @Test func copiesImageContentIntoAnEmptyVolumeOnly() throws {
        let base = NSTemporaryDirectory() + "seed-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fm = FileManager.default
        let rootfs = "\(base)/rootfs", volume = "\(base)/vol", outside = "\(base)/outside"
        try fm.createDirectory(atPath: "\(rootfs)/var/lib/app/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: volume, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "secret".write(toFile: "\(outside)/host-file", atomically: true, encoding: .utf8)
        try "data".write(toFile: "\(rootfs)/var/lib/app/sub/file", atomically: true, encoding: .utf8)
        try fm.setAttributes([.posixPermissions: 0o750], ofItemAtPath: "\(rootfs)/var/lib/app")
        // Link text is copied, never followed (even when it points at the host).
        try fm.createSymbolicLink(atPath: "\(rootfs)/var/lib/app/link", withDestinationPath: outside)
        #expect(try VolumeSeeder.populateIfEmpty(volume: volume, rootfs: rootfs, path: "/var/lib/app"))
        #expect(try String(contentsOfFile: "\(volume)/sub/file", encoding: .utf8) == "data")
        #expect(try fm.destinationOfSymbolicLink(atPath: "\(volume)/link") == outside)
        #expect((try fm.attributesOfItem(atPath: volume)[.posixPermissions] as? Int) == 0o750)
        // Second use: the volume is not empty any more, nothing is copied.
        try "changed".write(toFile: "\(rootfs)/var/lib/app/sub/file", atomically: true, encoding: .utf8)
        #expect(try !VolumeSeeder.populateIfEmpty(volume: volume, rootfs: rootfs, path: "/var/lib/app"))
        #expect(try String(contentsOfFile: "\(volume)/sub/file", encoding: .utf8) == "data")
    }

    @Test func imagePathThroughASymlinkStaysInTheRootfs() throws {
        let base = NSTemporaryDirectory() + "seed-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fm = FileManager.default
        let rootfs = "\(base)/rootfs", volume = "\(base)/vol"
        try fm.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: volume, withIntermediateDirectories: true)
        // /data -> /etc on the host would leak the host's /etc; inside the root it is missing.
        try fm.createSymbolicLink(atPath: "\(rootfs)/data", withDestinationPath: "/etc")
        #expect(try !VolumeSeeder.populateIfEmpty(volume: volume, rootfs: rootfs, path: "/data"))
        #expect(try fm.contentsOfDirectory(atPath: volume).isEmpty)
    }
}
