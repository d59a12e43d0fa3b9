/// Which seccomp filter the container gets.
public enum SeccompPolicy: Sendable, Equatable {
    /// berth's built-in profile with the intent of Docker's default
    /// (`SeccompProfile.dockerDefault`), adjusted for the granted capabilities.
    case dockerDefault
    /// No filter (`seccomp: unconfined`, and `privileged`).
    case unconfined
    /// A Docker-format JSON profile, already parsed.
    case profile(SeccompProfile)
}
