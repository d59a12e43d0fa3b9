import Networking
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// `run --network` and `--mac-address`, Docker's rules: `none` (the
/// default until `run` attaches to networks) is a namespace with only `lo`;
/// `host` is the host's; `container:NAME` shares NAME's namespace, its
/// hostname and its /etc/hosts, hostname and resolv.conf where NAME has
/// them. A hostname conflicts with `container:`; a MAC address with every
/// mode `run` has (none of them puts an interface on a network).
struct RunNetworking {
    var mode: NetworkMode
    /// The hostname the mode fixes (the host's, or the other container's).
    var hostname: String?
    var mounts: [MountSpec]

    static func resolve(network: String?, hostname: String?, macAddress: String?,
                        store: ContainerStore) throws -> RunNetworking {
        if let macAddress, MACAddress(macAddress.replacingOccurrences(of: "-", with: ":")) == nil {
            throw UserError("invalid argument \"\(macAddress)\" for \"--mac-address\" flag: invalid MAC address", exitCode: 125)
        }
        let value = network ?? "none"
        // A MAC belongs to an interface on a network; none of run's modes has one.
        if macAddress != nil {
            throw UserError("Error response from daemon: conflicting options: mac-address and the network mode \"\(value)\" (berth run does not attach containers to networks yet; set mac_address in a compose file)",
                            exitCode: 125)
        }
        switch value {
        case "none":
            return RunNetworking(mode: .none, hostname: nil, mounts: [])
        case "host":
            return RunNetworking(mode: .host, hostname: hostname == nil ? hostHostname() : nil, mounts: [])
        default:
            guard value.hasPrefix("container:"), value.count > "container:".count else {
                throw UserError("Error response from daemon: network \(value) not found (berth run supports --network none, host or container:NAME)",
                                exitCode: 125)
            }
            if hostname != nil {
                throw UserError("Error response from daemon: conflicting options: hostname and the network mode", exitCode: 125)
            }
            let name = String(value.dropFirst("container:".count))
            let target: ContainerRecord
            do {
                target = try store.lookup(name)
            } catch {
                throw UserError("Error response from daemon: No such container: \(name)", exitCode: 125)
            }
            let directory = store.directory(target.id)
            let mounts = ["hosts", "hostname", "resolv.conf"]
                .filter { StateFile.exists("\(directory)/\($0)") }
                .map { MountSpec(type: "bind", source: "\(directory)/\($0)", destination: "/etc/\($0)") }
            return RunNetworking(mode: .container(id: target.id),
                                 hostname: target.host.hostname.isEmpty ? target.shortID : target.host.hostname,
                                 mounts: mounts)
        }
    }

    static func hostHostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        return String(cString: buffer)
    }
}
