import ArgumentParser
import Compose
import Engine
import Networking
import Runtime

/// `berth compose port SERVICE PRIVATE_PORT`: the host address a
/// container port is published on (`127.0.0.1:18080`), like
/// `docker compose port`.
struct ComposePortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "Print the public port for a port binding.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var state: StateOptions
    @Option(name: .long, help: "tcp or udp") var `protocol` = "tcp"
    @Option(name: .long, help: "Index of the container if service has multiple replicas") var index = 1
    @Argument(help: "The service.") var service: String
    @Argument(help: "The container port.") var privatePort: String

    func run() async throws {
        try requireRoot("berth compose port")
        guard let port = UInt16(privatePort) else { throw UserError("invalid port: \(privatePort)") }
        guard let proto = PortProtocol(rawValue: `protocol`) else {
            throw UserError("invalid protocol \"\(`protocol`)\": expected tcp or udp")
        }
        let session = try ProjectSession(project, state)
        try session.check([service])
        // As Compose, only a running container counts.
        guard let entry = try session.driver.containers(of: [service])
            .first(where: { $0.actual.number == index && isUp($0.actual.status) }) else {
            throw UserError("no container found for \(service)_\(index)")
        }
        let bindings = try composeChecked { try session.driver.publishedPorts(entry.record) }
        guard let binding = bindings.first(where: { $0.containerPort == port && $0.proto == proto }) else {
            let published = bindings.map { "\($0.hostPort)/\($0.proto.rawValue)" }.joined(separator: ", ")
            throw UserError("no port \(port)/\(proto.rawValue) for container \(entry.record.name): \(published)")
        }
        writeStdout(binding.hostIP.withPort(binding.hostPort) + "\n")
    }
}
