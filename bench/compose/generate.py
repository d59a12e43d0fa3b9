#!/usr/bin/env python3
"""Writes a large compose file exercising anchors, aliases and merge keys.

Usage: generate.py [SERVICES] > big.yaml   (default 200 services)

Deterministic: the same count always gives the same file, so timings can be
compared across runs. Every service merges shared blocks (`<<: *common`,
`<<: [*env, *tracing]`), overrides some merged keys, uses interpolation
with defaults, long and short port/volume syntax, and depends on up to two
earlier services (so the dependency graph is acyclic but not trivial).
"""
import sys

def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    out = []
    w = out.append
    w("x-logging: &logging")
    w("  driver: json-file")
    w("  options:")
    w('    max-size: "10m"')
    w('    max-file: "3"')
    w("x-env: &env")
    w("  TZ: UTC")
    w("  LOG_LEVEL: ${LOG_LEVEL:-info}")
    w('  FEATURE_FLAGS: "a,b,c"')
    w("x-tracing: &tracing")
    w("  OTEL_EXPORTER: otlp")
    w("  LOG_LEVEL: debug")
    w("x-health: &health")
    w("  interval: 30s")
    w("  timeout: 5s")
    w("  retries: 3")
    w("  start_period: 10s")
    w("x-common: &common")
    w("  restart: unless-stopped")
    w("  logging: *logging")
    w("  networks: [front, back]")
    w("  labels:")
    w("    com.example.stack: bigstack")
    w('    com.example.tier: "app"')
    w("  deploy:")
    w("    resources:")
    w("      limits: {cpus: '0.50', memory: 256M}")
    w("services:")
    for i in range(count):
        name = f"svc-{i:03d}"
        w(f"  {name}:")
        w("    <<: *common")
        w(f"    image: registry.example.com/team/{name}:${{TAG:-1.0.{i}}}")
        if i % 3 == 0:
            w(f'    ports: ["{18000 + i}:8080", "127.0.0.1:{28000 + i}:9090/udp"]')
        elif i % 3 == 1:
            w("    ports:")
            w("      - target: 8080")
            w(f"        published: \"{18000 + i}\"")
            w("        protocol: tcp")
        w("    environment:")
        w("      <<: [*env, *tracing]")
        w(f"      SERVICE_NAME: {name}")
        w(f"      DATABASE_URL: postgres://app:secret@db-{i % 7}:5432/{name.replace('-', '_')}")
        w("    volumes:")
        w(f"      - ./data/{name}:/data:ro")
        w(f"      - cache-{i % 20}:/cache")
        if i % 4 == 0:
            w("      - type: tmpfs")
            w("        target: /tmp")
        deps = [d for d in (i - 1, i // 2) if 0 <= d < i]
        if deps:
            if i % 2:
                w("    depends_on: [" + ", ".join(f"svc-{d:03d}" for d in sorted(set(deps))) + "]")
            else:
                w("    depends_on:")
                for d in sorted(set(deps)):
                    w(f"      svc-{d:03d}:")
                    w("        condition: service_started")
        w("    healthcheck:")
        w("      <<: *health")
        w(f'      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/health/{i}"]')
        if i % 5 == 0:
            w("      interval: 10s")
        w('    command: ["serve", "--port", "8080", "--name", "' + name + '"]')
        if i % 10 == 0:
            w("    restart: always")
    w("networks:")
    w("  front: {}")
    w("  back:")
    w("    driver: bridge")
    w("volumes:")
    for v in range(20):
        w(f"  cache-{v}: {{}}")
    sys.stdout.write("\n".join(out) + "\n")

if __name__ == "__main__":
    main()
