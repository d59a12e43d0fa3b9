import ArgumentParser
import Synchronization

/// Compose's global `--ansi never|always|auto` and `--progress
/// auto|tty|plain|quiet|json`, set once while the command line is parsed
/// (ProjectOptions.validate) and read by the progress printer and the log
/// prefixer.
enum OutputMode {
    enum Ansi: String, CaseIterable, Sendable { case auto, never, always }
    enum Progress: String, CaseIterable, Sendable { case auto, tty, plain, quiet, json }

    struct Settings: Sendable {
        var ansi = Ansi.auto
        var progress = Progress.auto
    }

    static let current = Mutex(Settings())

    static var settings: Settings { current.withLock { $0 } }

    /// Records the flags; an unknown value is a usage error.
    static func apply(ansi: String?, progress: String?) throws {
        let settings = try parse(ansi: ansi, progress: progress)
        current.withLock { $0 = settings }
    }

    /// The settings for these flag values (nil = the default `auto`).
    static func parse(ansi: String?, progress: String?) throws -> Settings {
        var settings = Settings()
        if let ansi {
            guard let a = Ansi(rawValue: ansi) else { throw ValidationError("invalid --ansi \"\(ansi)\": expected never, always or auto") }
            settings.ansi = a
        }
        if let progress {
            guard let p = Progress(rawValue: progress) else {
                throw ValidationError("invalid --progress \"\(progress)\": expected auto, tty, plain, quiet or json")
            }
            settings.progress = p
        }
        return settings
    }

    /// Whether colored output is allowed where the command would use it.
    static func color(_ wanted: Bool) -> Bool { color(wanted, ansi: settings.ansi) }

    static func color(_ wanted: Bool, ansi: Ansi) -> Bool {
        switch ansi {
        case .never: false
        case .always: true
        case .auto: wanted
        }
    }
}
