import Diagnostics
import Testing
import YAML
@testable import Compose

@Suite struct ProjectTests {
    static func project(_ root: Node) throws -> Project {
        let (normalized, diagnostics) = Normalizer.normalize(root, context: testContext)
        #expect(diagnostics.isEmpty)
        return try Project(normalized: normalized)
    }

    @Test func readsEveryServiceField() throws {
        let p = try Self.project([
            "name": "shop",
            "services": [
                "web": [
                    "image": "nginx:1.27", "build": ["context": "./web", "args": ["V=1"], "target": "prod"],
                    "command": "nginx -g 'daemon off;'", "entrypoint": ["/docker-entrypoint.sh"],
                    "environment": ["A=1", "UNSET"], "ports": ["127.0.0.1:8080:80/tcp"], "expose": ["9000"],
                    "volumes": ["./html:/usr/share/nginx/html:ro", "cache:/cache", ["type": "tmpfs", "target": "/t",
                                                                                  "tmpfs": ["size": "1m", "mode": "1777"]]],
                    "networks": ["front": ["aliases": ["www"], "ipv4_address": "10.5.0.5"]],
                    "depends_on": ["db": ["condition": "service_healthy", "restart": "true"]],
                    "healthcheck": ["test": ["CMD", "curl", "-f", "http://localhost"], "interval": "30s", "timeout": "5s",
                                    "retries": "3", "start_period": "10s", "start_interval": "1s"],
                    "restart": "on-failure:5", "scale": "2", "user": "101:101", "working_dir": "/srv",
                    "hostname": "web1", "domainname": "example.com", "labels": ["tier=front"],
                    "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"], "privileged": "false", "read_only": "yes",
                    "init": "true", "tty": "true", "stdin_open": "true", "stop_signal": "SIGQUIT",
                    "stop_grace_period": "1m30s", "ulimits": ["nofile": ["soft": "1024", "hard": "4096"], "nproc": "512"],
                    "sysctls": ["net.core.somaxconn=1024"], "mem_limit": "512m", "memswap_limit": "-1",
                    "cpus": "1.5", "cpu_shares": "512", "cpuset": "0-1", "pids_limit": "100", "shm_size": "64m",
                    "tmpfs": "/run", "extra_hosts": ["host.docker.internal:host-gateway"], "dns": "1.1.1.1",
                    "dns_search": ["example.com"], "security_opt": ["no-new-privileges:true"],
                    "profiles": ["web"], "attach": "false", "logging": ["driver": "json-file", "options": ["max-size": "10m"]],
                    "secrets": ["token"], "configs": [["source": "cfg", "target": "/etc/cfg", "mode": "0440"]],
                    "devices": ["/dev/fuse", "/dev/sda:/dev/xvda:r",
                                ["source": "/dev/sdb", "target": "/dev/xvdb", "permissions": "rw"]],
                    "device_cgroup_rules": ["c 42:* rmw"], "x-team": "shop",
                ],
                "db": ["image": "postgres", "network_mode": "host", "volumes_from": ["web"]],
            ],
            "networks": ["front": ["driver": "bridge", "ipam": ["config": [["subnet": "10.5.0.0/16"]]]]],
            "volumes": ["cache": ["external": "true"]],
            "secrets": ["token": ["file": "./token"]],
            "configs": ["cfg": ["content": "hello"]],
            "x-shared": "yes",
        ])
        #expect(p.name == "shop")
        #expect(p.services.map(\.name) == ["db", "web"])
        let web = try #require(p.service(named: "web"))
        #expect(web.image == "nginx:1.27")
        #expect(web.build?.context == "/proj/web")
        #expect(web.build?.dockerfile == "Dockerfile")
        #expect(web.build?.args == ["V": "1"])
        #expect(web.build?.target == "prod")
        #expect(web.command == ComposeCommand(arguments: ["nginx", "-g", "daemon off;"], isShellForm: true,
                                              shellText: "nginx -g 'daemon off;'"))
        #expect(web.entrypoint == ComposeCommand(arguments: ["/docker-entrypoint.sh"]))
        let env: [String: String?] = ["A": "1", "UNSET": String?.none]
        #expect(web.environment == env)
        #expect(web.ports == [PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1", proto: "tcp", mode: "ingress")])
        #expect(web.expose == ["9000"])
        #expect(web.volumes.count == 3)
        #expect(web.volumes[0].kind == .bind && web.volumes[0].source == "/proj/html" && web.volumes[0].readOnly
                && web.volumes[0].createHostPath)
        #expect(web.volumes[1].kind == .volume && web.volumes[1].source == "cache" && !web.volumes[1].readOnly)
        #expect(web.volumes[2].kind == .tmpfs && web.volumes[2].tmpfsSize == 1_048_576 && web.volumes[2].tmpfsMode == 0o1777)
        #expect(web.networks["front"]?.aliases == ["www"])
        #expect(web.networks["front"]?.ipv4Address == "10.5.0.5")
        #expect(web.dependsOn == ["db": ServiceDependency(condition: .healthy, required: true, restart: true)])
        #expect(web.healthcheck == HealthcheckSpec(disabled: false, test: ["CMD", "curl", "-f", "http://localhost"],
                                                   interval: .seconds(30), timeout: .seconds(5), retries: 3,
                                                   startPeriod: .seconds(10), startInterval: .seconds(1)))
        #expect(web.restart == .onFailure(maxRetries: 5))
        #expect(web.replicas == 2)
        #expect(web.user == "101:101" && web.workingDir == "/srv" && web.hostname == "web1" && web.domainname == "example.com")
        #expect(web.labels == ["tier": "front"])
        #expect(web.capAdd == ["NET_ADMIN"] && web.capDrop == ["ALL"])
        #expect(!web.privileged && web.readOnly && web.initProcess == true && web.tty && web.stdinOpen)
        #expect(web.stopSignal == "SIGQUIT" && web.stopGracePeriod == .seconds(90))
        #expect(web.ulimits == ["nofile": ServiceUlimit(soft: 1024, hard: 4096), "nproc": ServiceUlimit(soft: 512, hard: 512)])
        #expect(web.sysctls == ["net.core.somaxconn": "1024"])
        #expect(web.memLimit == 536_870_912 && web.memswapLimit == -1)
        #expect(web.cpus == 1.5 && web.cpuShares == 512 && web.cpuset == "0-1" && web.pidsLimit == 100)
        #expect(web.shmSize == 67_108_864)
        #expect(web.tmpfs == ["/run"])
        #expect(web.extraHosts == ["host.docker.internal": ["host-gateway"]])
        #expect(web.dns == ["1.1.1.1"] && web.dnsSearch == ["example.com"])
        #expect(web.securityOpt == ["no-new-privileges:true"])
        #expect(web.profiles == ["web"] && !web.attach)
        #expect(web.logging == LoggingSpec(driver: "json-file", options: ["max-size": "10m"]))
        #expect(web.secrets == [ServiceFileReference(source: "token")])
        #expect(web.configs == [ServiceFileReference(source: "cfg", target: "/etc/cfg", mode: 0o440)])
        #expect(web.devices == [ServiceDevice(source: "/dev/fuse", target: "/dev/fuse", permissions: "rwm"),
                                ServiceDevice(source: "/dev/sda", target: "/dev/xvda", permissions: "r"),
                                ServiceDevice(source: "/dev/sdb", target: "/dev/xvdb", permissions: "rw")])
        #expect(web.deviceCgroupRules == ["c 42:* rmw"])
        #expect(web.extensions["x-team"]?.scalarValue == "shop")

        let db = try #require(p.service(named: "db"))
        #expect(db.networkMode == "host" && db.networks.isEmpty && db.volumesFrom == ["web"])
        #expect(db.restart == .no && db.replicas == 1 && db.attach)

        #expect(p.networks["front"]?.driver == "bridge")
        #expect(p.networks["front"]?.ipam?.config.first?.subnet == "10.5.0.0/16")
        #expect(p.networks["default"] == nil)   // web has networks, db uses network_mode
        #expect(p.volumes["cache"] == VolumeDefinition(name: "cache", driver: nil, driverOpts: [:], external: true, labels: [:]))
        #expect(p.secrets["token"]?.file == "/proj/token")
        #expect(p.configs["cfg"]?.content == "hello")
        #expect(p.extensions["x-shared"]?.scalarValue == "yes")
    }

    @Test func projectNeedsAName() {
        #expect(throws: DiagnosticsError.self) { try Project(normalized: ["services": [:]]) }
    }
}

extension ServiceFileReference {
    init(source: String, target: String? = nil, mode: Int? = nil) {
        self.init(source: source, target: target, uid: nil, gid: nil, mode: mode)
    }
}

extension PortMapping {
    init(target: Int, published: String?, hostIP: String?, proto: String, mode: String) {
        self.init(target: target, published: published, hostIP: hostIP, proto: proto, mode: mode, name: nil, appProtocol: nil)
    }
}
