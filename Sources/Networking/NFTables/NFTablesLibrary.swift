import CNFTables
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libnftables, loaded with dlopen at the first nft command instead of being
/// linked: start-up of every berth process would otherwise pay for loading and
/// relocating it and the five libraries it depends on.
struct NFTablesLibrary: @unchecked Sendable {
    /// The soname berth loads, and the apt package that provides it.
    static let soname = "libnftables.so.1"
    static let package = "libnftables1"

    /// libnftables could not be loaded, or lacks a function berth calls.
    struct Unavailable: Error, CustomStringConvertible, Sendable {
        var detail: String
        var description: String {
            "nftables: cannot load \(NFTablesLibrary.soname) (\(detail)); install the apt package \(NFTablesLibrary.package)"
        }
    }

    typealias CtxNew = @convention(c) (UInt32) -> OpaquePointer?
    typealias CtxFree = @convention(c) (OpaquePointer?) -> Void
    typealias CtxSetFlags = @convention(c) (OpaquePointer?, UInt32) -> Void
    typealias CtxInt = @convention(c) (OpaquePointer?) -> Int32
    typealias CtxBuffer = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    typealias RunCmd = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32

    let ctxNew: CtxNew
    let ctxFree: CtxFree
    let outputSetFlags: CtxSetFlags
    let bufferOutput: CtxInt
    let bufferError: CtxInt
    let getOutputBuffer: CtxBuffer
    let getErrorBuffer: CtxBuffer
    let runCmdFromBuffer: RunCmd

    /// The library, loaded once per process (never unloaded).
    static func shared() throws -> NFTablesLibrary {
        try loaded.get()
    }

    private static let loaded: Result<NFTablesLibrary, Unavailable> = Result { try load(soname) }
        .mapError { $0 as? Unavailable ?? Unavailable(detail: "\($0)") }

    /// Loads `path` (a soname, or a path for tests) and resolves every function.
    static func load(_ path: String) throws -> NFTablesLibrary {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw Unavailable(detail: dlerror().map { String(cString: $0) } ?? "dlopen failed")
        }
        func symbol<F>(_ name: String, as type: F.Type) throws -> F {
            guard let p = dlsym(handle, name) else {
                throw Unavailable(detail: "missing symbol \(name)")
            }
            return unsafeBitCast(p, to: type)
        }
        return NFTablesLibrary(
            ctxNew: try symbol("nft_ctx_new", as: CtxNew.self),
            ctxFree: try symbol("nft_ctx_free", as: CtxFree.self),
            outputSetFlags: try symbol("nft_ctx_output_set_flags", as: CtxSetFlags.self),
            bufferOutput: try symbol("nft_ctx_buffer_output", as: CtxInt.self),
            bufferError: try symbol("nft_ctx_buffer_error", as: CtxInt.self),
            getOutputBuffer: try symbol("nft_ctx_get_output_buffer", as: CtxBuffer.self),
            getErrorBuffer: try symbol("nft_ctx_get_error_buffer", as: CtxBuffer.self),
            runCmdFromBuffer: try symbol("nft_run_cmd_from_buffer", as: RunCmd.self))
    }
}
