import Foundation
import Testing
import BerthTestSupport

/// What every compose suite needs: busybox in the test's store, and berth
/// run on a sample project named after the test.
extension TestRoot {
    /// Imports busybox:latest (a root filesystem from Debian's busybox-static) into this test's store.
    func importBusybox() throws {
        let tar = directory.appendingPathComponent("busybox.tar").path
        let made = try runProcess(Repository.root.appendingPathComponent("scripts/make-busybox-rootfs.sh"), [tar])
        #expect(made.status == 0, "\(made.stderr)")
        let imported = try berth("import", tar, "busybox:latest")
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    /// `berth -p <prefix> ARGS` in the sample's directory, with extra environment.
    func compose(_ args: [String], in sample: URL, env extra: [String: String] = [:], stdin: Data? = nil,
                 timeout: Double = 120) throws -> CommandResult {
        try runProcess(Repository.berthExecutable, ["-p", prefix] + args,
                       environment: environment.merging(extra) { _, new in new },
                       directory: sample, stdin: stdin, timeout: timeout)
    }
}
