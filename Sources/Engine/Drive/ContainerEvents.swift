import Runtime

/// `docker compose events` without a daemon: berth compares two
/// snapshots of the project's containers (taken by polling the store) and
/// names the lifecycle events that lie between them. Pure: the CLI takes
/// the snapshots and prints the events.
public enum ContainerEvents {
    /// What one poll sees of a container.
    public struct Snapshot: Hashable, Sendable {
        public var id: String
        public var name: String
        public var service: String
        public var image: String
        public var status: ContainerStatus
        public var startedAt: Timestamp
        public var finishedAt: Timestamp
        public var exitCode: Int32
        /// Set when `stop`/`kill` ended the process (Docker emits `stop` then).
        public var stoppedByUser: Bool
        /// `starting`, `healthy`, `unhealthy`; nil without a healthcheck.
        public var health: String?

        public init(id: String, name: String, service: String, image: String, status: ContainerStatus,
                    startedAt: Timestamp = .zero, finishedAt: Timestamp = .zero, exitCode: Int32 = 0,
                    stoppedByUser: Bool = false, health: String? = nil) {
            self.id = id
            self.name = name
            self.service = service
            self.image = image
            self.status = status
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.exitCode = exitCode
            self.stoppedByUser = stoppedByUser
            self.health = health
        }

        var isUp: Bool { status == .running || status == .paused || status == .restarting }
    }

    /// One event, as Compose prints it.
    public struct Event: Hashable, Sendable {
        public var time: Timestamp
        /// create, start, die, stop, pause, unpause, destroy, `health_status: healthy`…
        public var action: String
        public var id: String
        public var service: String
        /// name, image, and for `die` the exitCode.
        public var attributes: [(String, String)]

        public static func == (a: Event, b: Event) -> Bool {
            a.time == b.time && a.action == b.action && a.id == b.id && a.service == b.service
                && a.attributes.map(\.0) == b.attributes.map(\.0) && a.attributes.map(\.1) == b.attributes.map(\.1)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(time)
            hasher.combine(action)
            hasher.combine(id)
        }

        /// `2026-11-24 22:00:00.000000 container start <id> (name=…, image=…)` (UTC).
        public var line: String {
            let text = time.fixedNano  // 2026-11-24T22:00:00.123456789Z
            let date = text.prefix(10)
            let clock = text.dropFirst(11).prefix(15)  // hh:mm:ss.ffffff
            let attrs = attributes.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            return "\(date) \(clock) container \(action) \(id) (\(attrs))"
        }

        /// The form `docker compose events --json` prints, one object per line.
        public var json: String {
            var out = "{"
            RecordJSON.quote("action", into: &out); out += ":"; RecordJSON.quote(action, into: &out)
            out += ","; RecordJSON.quote("attributes", into: &out); out += ":{"
            for (i, (k, v)) in attributes.enumerated() {
                if i > 0 { out += "," }
                RecordJSON.quote(k, into: &out); out += ":"; RecordJSON.quote(v, into: &out)
            }
            out += "},"; RecordJSON.quote("id", into: &out); out += ":"; RecordJSON.quote(id, into: &out)
            out += ","; RecordJSON.quote("service", into: &out); out += ":"; RecordJSON.quote(service, into: &out)
            out += ","; RecordJSON.quote("time", into: &out); out += ":"; RecordJSON.quote(time.description, into: &out)
            out += ","; RecordJSON.quote("type", into: &out); out += ":"; RecordJSON.quote("container", into: &out)
            return out + "}"
        }
    }

    /// The events between `old` and `new` (keyed by container id), at
    /// `now` for changes without a recorded time. A restart that happened
    /// between two polls still shows as `die` then `start` (the start time
    /// moved). Ordered: destroyed containers, then the others by name.
    public static func diff(_ old: [String: Snapshot], _ new: [String: Snapshot], now: Timestamp) -> [Event] {
        var events: [Event] = []
        func event(_ s: Snapshot, _ action: String, at time: Timestamp, extra: [(String, String)] = []) {
            events.append(Event(time: time, action: action, id: s.id, service: s.service,
                                attributes: extra + [("image", s.image), ("name", s.name)]))
        }
        func died(_ s: Snapshot, at time: Timestamp) {
            event(s, "die", at: time, extra: [("exitCode", String(s.exitCode))])
            if s.stoppedByUser { event(s, "stop", at: time) }
        }
        for (id, gone) in old.sorted(by: { $0.value.name < $1.value.name }) where new[id] == nil {
            if gone.isUp { event(gone, "die", at: now, extra: [("exitCode", "137")]) }
            event(gone, "destroy", at: now)
        }
        for (id, s) in new.sorted(by: { $0.value.name < $1.value.name }) {
            guard let before = old[id] else {
                event(s, "create", at: now)
                if s.isUp || !s.startedAt.isZero { event(s, "start", at: s.startedAt.isZero ? now : s.startedAt) }
                if !s.isUp && !s.startedAt.isZero { died(s, at: s.finishedAt.isZero ? now : s.finishedAt) }
                continue
            }
            let restarted = s.startedAt != before.startedAt && !s.startedAt.isZero
            if restarted {
                // Up before and started again since: it died in between.
                if before.isUp { died(s, at: s.finishedAt.isZero ? now : s.finishedAt) }
                event(s, "start", at: s.startedAt)
                if !s.isUp { died(s, at: s.finishedAt.isZero ? now : s.finishedAt) }
            } else if before.isUp && !s.isUp {
                died(s, at: s.finishedAt.isZero ? now : s.finishedAt)
            }
            if before.status != .paused && s.status == .paused { event(s, "pause", at: now) }
            if before.status == .paused && s.status == .running { event(s, "unpause", at: now) }
            // Docker reports the verdicts, not the `starting` phase.
            if let health = s.health, health != before.health, health != "starting" {
                event(s, "health_status: \(health)", at: now)
            }
        }
        return events
    }
}
