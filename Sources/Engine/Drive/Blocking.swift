import Foundation

/// Runs blocking work — syscalls, waiting on a container's monitor — on a
/// thread of its own. Swift's cooperative pool is only as wide as the CPU
/// count (2 here): blocking it would let just two containers of a wave be
/// created, started or stopped at a time.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
