import ArgumentParser
import Compose
import Engine
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `berth compose exec SERVICE COMMAND...`: runs a command in the running
/// container `index` of a service (Docker's `berth exec` machinery); the
/// command's exit code is berth's.
struct ComposeExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Execute a command in a running container.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions

    @Flag(name: .shortAndLong, help: "Detached mode: Run command in the background.") var detach = false
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: .shortAndLong, help: "Run the command as this user.") var user: String?
    @Option(name: .shortAndLong, help: "Path to workdir directory for this command.") var workdir: String?
    @Flag(name: .customShort("T"), help: "Disable pseudo-TTY allocation. By default a TTY is allocated when stdin is a terminal.")
    var noTTY = false
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached (default: true; accepted for compatibility).")
    var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY (default when stdin is a terminal; accepted for compatibility).")
    var tty = false
    @Option(name: .long, help: "Index of the container if service has multiple replicas.") var index: Int = 1
    @Flag(name: .long, help: "Give extended privileges to the process.") var privileged = false
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("SERVICE COMMAND [ARGS...]", valueName: "service"))
    var serviceAndCommand: [String] = []

    func run() throws {
        try requireRoot("berth compose exec")
        guard serviceAndCommand.count >= 2 else {
            throw UserError("\"berth compose exec\" requires at least 2 arguments.\nSee 'berth compose exec --help'.")
        }
        let p = try project.load().project
        let name = try composeServiceContainer(p, serviceAndCommand[0], index: index, state: state)
        let ctx = ContainerContext(state)
        let record = try ctx.lookup(name)
        let extra = EnvFile.resolve(env)
        // Compose: a TTY unless -T, when there is a terminal to drive it.
        let useTTY = !noTTY && !detach && isatty(0) == 1 && isatty(1) == 1
        let request = ExecRequest(argv: Array(serviceAndCommand.dropFirst()), env: extra, user: user,
                                  workingDir: workdir, tty: useTTY, privileged: privileged)
        try ExecCommand.perform(ctx, record, request, detach: detach, interactive: !detach)
    }
}

/// The name of the running container `index` of `service` in project `p`,
/// with Compose's errors (`no such service`, `service "web" is not running`).
func composeServiceContainer(_ p: Project, _ service: String, index: Int, state: StateOptions) throws -> String {
    guard p.service(named: service) != nil else { throw UserError("no such service: \(service)") }
    let driver = ComposeDriver(paths: state.paths, project: p, monitorExecutable: ContainerOperations.monitorBesideExecutable())
    return try translatedEngine {
        try ComposeDriver.runningContainer(try driver.actualContainers().map(\.actual), service: service, index: index).name
    }
}
