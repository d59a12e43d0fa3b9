import ArgumentParser
import Networking
import Runtime

/// `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published
/// ports, Docker's two layouts (`80/tcp -> 0.0.0.0:32768` per binding, or
/// just the host address for one port).
struct PortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port",
                                                    abstract: "List port mappings or a specific mapping for the container")
    @OptionGroup var state: StateOptions
    @Argument(help: ArgumentHelp(valueName: "container")) var container: String
    @Argument(help: ArgumentHelp("PRIVATE_PORT[/PROTO]", valueName: "private-port")) var privatePort: String?

    func run() throws {
        try requireRoot("berth port")
        let ctx = ContainerContext(state)
        let record: ContainerRecord
        do { record = try ctx.store.lookup(container) } catch {
            throw UserError("Error response from daemon: No such container: \(container)")
        }
        let bindings = try withNetworkErrors { try PortPublisher(store: NetworkStore(paths: state.paths)).ports(containerID: record.id) }
            .sorted { ($0.containerPort, $0.proto.rawValue, $0.hostIP.isIPv6 ? 1 : 0) < ($1.containerPort, $1.proto.rawValue, $1.hostIP.isIPv6 ? 1 : 0) }
        guard let privatePort else {
            writeStdout(bindings.map { "\($0.containerPort)/\($0.proto.rawValue) -> \($0.hostIP.withPort($0.hostPort))\n" }.joined())
            return
        }
        let parts = privatePort.split(separator: "/", maxSplits: 1).map(String.init)
        guard let port = UInt16(parts[0]), let proto = PortProtocol(rawValue: parts.count > 1 ? parts[1] : "tcp") else {
            throw UserError("Error: invalid port (\(privatePort)): expected PRIVATE_PORT[/tcp|udp]")
        }
        let matching = bindings.filter { $0.containerPort == port && $0.proto == proto }
        guard !matching.isEmpty else {
            throw UserError("Error: No public port '\(port)/\(proto.rawValue)' published for \(record.name)")
        }
        writeStdout(matching.map { $0.hostIP.withPort($0.hostPort) + "\n" }.joined())
    }
}
