import Testing
@testable import Networking

/// libnftables is dlopen-ed at first use; these check the loader, not nft.
@Suite struct NFTablesLibraryTests {
    @Test func missingLibraryNamesTheSonameAndTheAptPackage() throws {
        let error = #expect(throws: NFTablesLibrary.Unavailable.self) {
            try NFTablesLibrary.load("libberth-no-such-library.so.0")
        }
        let text = try #require(error).description
        #expect(text.contains("cannot load libnftables.so.1"))
        #expect(text.contains("libberth-no-such-library.so.0"))
        #expect(text.contains("install the apt package libnftables1"))
    }

    @Test func libraryWithoutTheFunctionsIsRejected() throws {
        // libc loads fine but has no nft_ctx_new.
        let error = #expect(throws: NFTablesLibrary.Unavailable.self) {
            try NFTablesLibrary.load("libc.so.6")
        }
        #expect(try #require(error).detail == "missing symbol nft_ctx_new")
    }

    @Test func installedLibraryResolvesEveryFunction() throws {
        let lib = try NFTablesLibrary.shared()
        let ctx = try #require(lib.ctxNew(0))
        lib.ctxFree(ctx)
    }
}
