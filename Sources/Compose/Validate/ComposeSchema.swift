/// The Compose Specification's keys and value types, written as `Shape`s
/// (our own rendering of the spec's chapters and JSON schema).
enum ComposeSchema {
    static let command = Shape.nullable(.either([.string, .list(.text)]))

    static let fileReference = Shape.list(.either([
        .string,
        .object(["source": .string, "target": .string, "uid": .string, "gid": .string, "mode": .number]),
    ]))

    static let extraHosts = Shape.either([.dictionary(.either([.string, .strings])), .strings])

    static let ulimits = Shape.dictionary(.either([
        .integer,
        .object(["soft": .integer, "hard": .integer], required: ["soft", "hard"]),
    ]))

    static let deviceRequest = Shape.object([
        "capabilities": .strings, "count": .text, "device_ids": .strings,
        "driver": .string, "options": .listOrDict,
    ])

    static let build = Shape.either([.string, .object([
        "context": .string, "dockerfile": .string, "dockerfile_inline": .string,
        "entitlements": .strings, "args": .listOrDict, "ssh": .listOrDict, "labels": .listOrDict,
        "cache_from": .strings, "cache_to": .strings, "no_cache": .boolean,
        "additional_contexts": .listOrDict, "network": .string, "provenance": .text, "sbom": .text,
        "pull": .boolean, "target": .string, "shm_size": .bytes, "extra_hosts": extraHosts,
        "isolation": .string, "privileged": .boolean, "secrets": fileReference, "tags": .strings,
        "ulimits": ulimits, "platforms": .strings,
    ])])

    static let port = Shape.either([
        .integer,
        .syntax(PortSyntax.check),
        .object([
            "name": .string, "mode": .enumeration(["host", "ingress"]), "host_ip": .syntax { ip in
                IPAddressText.isValid(ip) ? nil : SyntaxError("\"\(ip)\" is not an IP address")
            },
            "target": .syntax { PortSyntax.range(Substring($0)) == nil ? SyntaxError("invalid target port \"\($0)\"") : nil },
            "published": .syntax { PortSyntax.isPublished($0) ? nil : SyntaxError("invalid published port \"\($0)\"") },
            "protocol": .enumeration(["tcp", "udp", "sctp"]), "app_protocol": .string,
        ], required: ["target"]),
    ])

    static let volumeMount = Shape.either([
        .syntax { text in
            if case let .failure(e) = VolumeSyntax.parse(text) { return e }
            return nil
        },
        .object([
            "type": .enumeration(["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
            "source": .string, "target": .string, "read_only": .boolean, "consistency": .string,
            "bind": .object([
                "propagation": .enumeration(["shared", "rshared", "slave", "rslave", "private", "rprivate"]),
                "create_host_path": .boolean,
                "recursive": .enumeration(["enabled", "disabled", "writable", "readonly"]),
                "selinux": .enumeration(["z", "Z"]),
            ]),
            "volume": .object(["labels": .listOrDict, "nocopy": .boolean, "subpath": .string]),
            "tmpfs": .object(["size": .bytes, "mode": .number]),
            "image": .object(["subpath": .string]),
        ], required: ["type"]),
    ])

    static let healthcheck = Shape.object([
        "disable": .boolean, "interval": .duration, "retries": .integer,
        "test": .either([.string, .list(.text)]), "timeout": .duration,
        "start_period": .duration, "start_interval": .duration,
    ])

    static let dependsOn = Shape.either([.strings, .dictionary(.object([
        "condition": .enumeration(["service_started", "service_healthy", "service_completed_successfully"]),
        "required": .boolean, "restart": .boolean,
    ], required: ["condition"]))])

    static let serviceNetworks = Shape.either([.strings, .dictionary(.nullable(.object([
        "aliases": .strings, "interface_name": .string, "ipv4_address": .string, "ipv6_address": .string,
        "link_local_ips": .strings, "mac_address": .syntax(NetworkSyntax.checkMAC), "driver_opts": .dictionary(.text),
        "priority": .number, "gw_priority": .number,
    ])))])

    static let updateConfig = Shape.object([
        "parallelism": .integer, "delay": .duration, "failure_action": .string, "monitor": .duration,
        "max_failure_ratio": .number, "order": .enumeration(["start-first", "stop-first"]),
    ])

    static let deploy = Shape.object([
        "mode": .string, "endpoint_mode": .string, "replicas": .integer, "labels": .listOrDict,
        "rollback_config": updateConfig, "update_config": updateConfig,
        "resources": .object([
            "limits": .object(["cpus": .number, "memory": .bytes, "pids": .integer]),
            "reservations": .object([
                "cpus": .number, "memory": .bytes, "generic_resources": .list(.any),
                "devices": .list(deviceRequest),
            ]),
        ]),
        "restart_policy": .object([
            "condition": .enumeration(["none", "on-failure", "any"]), "delay": .duration,
            "max_attempts": .integer, "window": .duration,
        ]),
        "placement": .object([
            "constraints": .strings, "preferences": .list(.object(["spread": .string])),
            "max_replicas_per_node": .integer,
        ]),
    ])

    static let hook = Shape.object([
        "command": command, "user": .string, "privileged": .boolean, "working_dir": .string,
        "environment": .listOrDict,
    ])

    static let blkioLimit = Shape.list(.object(["path": .string, "rate": .text], extensions: false))

    static let service = Shape.object([
        "develop": .object(["watch": .list(.object([
            "ignore": .stringOrList, "include": .stringOrList, "path": .string,
            "action": .enumeration(["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
            "target": .string, "exec": hook, "initial_sync": .boolean,
        ], required: ["path", "action"]))]),
        "deploy": deploy,
        "annotations": .listOrDict,
        "attach": .boolean,
        "build": build,
        "blkio_config": .object([
            "device_read_bps": blkioLimit, "device_read_iops": blkioLimit,
            "device_write_bps": blkioLimit, "device_write_iops": blkioLimit,
            "weight": .integer,
            "weight_device": .list(.object(["path": .string, "weight": .integer], extensions: false)),
        ], extensions: false),
        "cap_add": .strings, "cap_drop": .strings,
        "cgroup": .enumeration(["host", "private"]), "cgroup_parent": .string,
        "command": command,
        "configs": fileReference,
        "container_name": .string,
        "cpu_count": .integer, "cpu_percent": .integer, "cpu_shares": .integer, "cpu_quota": .integer,
        "cpu_period": .integer, "cpu_rt_period": .text, "cpu_rt_runtime": .text,
        "cpus": .number, "cpuset": .string,
        "credential_spec": .object(["config": .string, "file": .string, "registry": .string]),
        "depends_on": dependsOn,
        "device_cgroup_rules": .strings,
        "devices": .list(.either([.string, .object(["source": .string, "target": .string, "permissions": .string],
                                                   required: ["source"])])),
        "dns": .stringOrList, "dns_opt": .strings, "dns_search": .stringOrList,
        "domainname": .string,
        "entrypoint": command,
        "env_file": .either([.string, .list(.either([.string, .object([
            "path": .string, "format": .string, "required": .boolean,
        ], extensions: false, required: ["path"])]))]),
        "label_file": .stringOrList,
        "environment": .listOrDict,
        "expose": .list(.syntax(ExposeSyntax.check)),
        "extends": .either([.string, .object(["service": .string, "file": .string], extensions: false,
                                             required: ["service"])]),
        "provider": .object(["type": .string, "options": .dictionary(.either([.text, .list(.text)]))],
                            required: ["type"]),
        "external_links": .strings,
        "extra_hosts": extraHosts,
        "gpus": .either([.enumeration(["all"]), .list(deviceRequest)]),
        "group_add": .list(.text),
        "healthcheck": healthcheck,
        "hostname": .string,
        "image": .string,
        "init": .boolean,
        "ipc": .string,
        "isolation": .string,
        "labels": .listOrDict,
        "links": .strings,
        "logging": .object(["driver": .string, "options": .dictionary(.nullable(.text))]),
        "mac_address": .syntax(NetworkSyntax.checkMAC),
        "mem_limit": .bytes, "mem_reservation": .bytes, "mem_swappiness": .integer,
        "memswap_limit": .scalar(.bytes(unlimited: true)),
        "network_mode": .syntax(NetworkSyntax.checkMode),
        "models": .either([.strings, .dictionary(.nullable(.object(["endpoint_var": .string, "model_var": .string])))]),
        "networks": serviceNetworks,
        "oom_kill_disable": .boolean, "oom_score_adj": .integer,
        "pid": .nullable(.string), "pids_limit": .integer,
        "platform": .string,
        "ports": .list(port),
        "post_start": .list(hook), "pre_start": .list(hook), "pre_stop": .list(hook),
        "privileged": .boolean,
        "profiles": .strings,
        "pull_policy": .syntax(PullPolicySyntax.check),
        "pull_refresh_after": .string,
        "read_only": .boolean,
        "restart": .syntax(RestartSyntax.check),
        "runtime": .string,
        "scale": .integer,
        "security_opt": .strings,
        "shm_size": .bytes,
        "secrets": fileReference,
        "sysctls": .listOrDict,
        "stdin_open": .boolean,
        "stop_grace_period": .duration,
        "stop_signal": .string,
        "storage_opt": .openMapping,
        "tmpfs": .stringOrList,
        "tty": .boolean,
        "ulimits": ulimits,
        "use_api_socket": .boolean,
        "user": .string,
        "uts": .string,
        "userns_mode": .string,
        "volumes": .list(volumeMount),
        "volumes_from": .strings,
        "working_dir": .string,
    ])

    static let external = Shape.either([.boolean, .object(["name": .string])])

    static let network = Shape.nullable(.object([
        "name": .string, "driver": .string, "driver_opts": .dictionary(.text),
        "ipam": .object([
            "driver": .string,
            "config": .list(.object([
                "subnet": .string, "ip_range": .string, "gateway": .string,
                "aux_addresses": .dictionary(.string),
            ])),
            "options": .dictionary(.string),
        ]),
        "external": external, "internal": .boolean, "enable_ipv4": .boolean, "enable_ipv6": .boolean,
        "attachable": .boolean, "labels": .listOrDict,
    ]))

    static let volume = Shape.nullable(.object([
        "name": .string, "driver": .string, "driver_opts": .dictionary(.text),
        "external": external, "labels": .listOrDict,
    ]))

    static let secret = Shape.object([
        "name": .string, "environment": .string, "file": .string, "external": external,
        "labels": .listOrDict, "driver": .string, "driver_opts": .dictionary(.text), "template_driver": .string,
    ])

    static let config = Shape.object([
        "name": .string, "content": .string, "environment": .string, "file": .string, "external": external,
        "labels": .listOrDict, "template_driver": .string,
    ])

    static let model = Shape.object([
        "name": .string, "model": .string, "context_size": .integer, "runtime_flags": .strings,
    ])

    static let include = Shape.list(.either([.string, .object([
        "path": .stringOrList, "env_file": .stringOrList, "project_directory": .string,
    ], extensions: false)]))

    static let project = Shape.object([
        "version": .text,
        "name": .string,
        "include": include,
        "services": .nullable(.dictionary(service)),
        "models": .dictionary(model),
        "networks": .nullable(.dictionary(network)),
        "volumes": .nullable(.dictionary(volume)),
        "secrets": .nullable(.dictionary(secret)),
        "configs": .nullable(.dictionary(config)),
    ])
}
