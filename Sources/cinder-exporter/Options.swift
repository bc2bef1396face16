import ArgumentParser
import CinderExporter
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension LogFormat: ExpressibleByArgument {}

/// Flags every subcommand that reads the database shares (SPEC §3).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database.url"),
            help: "SQLAlchemy URL of the Cinder database, as in cinder.conf [database] connection (env CINDER_EXPORTER_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("database.timeout"), help: "Seconds to wait for the database on connect and read.")
    var databaseTimeout: Double = 5

    @Option(name: .customLong("cinder.service-down-time"),
            help: "Seconds without a heartbeat before a service is down (cinder.conf service_down_time).")
    var serviceDownTime: Int64?

    func validate() throws {
        guard databaseTimeout.isFinite, databaseTimeout > 0, databaseTimeout <= 3600 else {
            throw ValidationError("--database.timeout must be a number of seconds between 0 and 3600")
        }
        if let serviceDownTime, serviceDownTime <= 0 {
            throw ValidationError("--cinder.service-down-time must be a positive number of seconds")
        }
    }

    /// The URL from the flag, else the environment; start-up errors name the fix.
    func resolvedURL() throws(ConfigurationError) -> DatabaseURL {
        let environment = getenv("CINDER_EXPORTER_DATABASE_URL").map { String(cString: $0) }
        guard let text = databaseURL ?? environment, !text.isEmpty else {
            throw ConfigurationError("no database: give --database.url or set CINDER_EXPORTER_DATABASE_URL")
        }
        return try DatabaseURL(parsing: text)
    }

    var downTimeSeconds: Int64 { serviceDownTime ?? 60 }
}

struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var level: LogLevelName = .info

    @Option(name: .customLong("log.format"), help: "logfmt or json.")
    var format: LogFormat = .logfmt

    func makeLogger() -> Logger {
        let level = self.level.level
        let format = self.format
        return Logger(label: "cinder-exporter") { label in
            StderrLogHandler(label: label, format: format, level: level)
        }
    }
}

enum LogLevelName: String, ExpressibleByArgument, CaseIterable {
    case debug, info, warn, error
    var level: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .warn: return .warning
        case .error: return .error
        }
    }
}

struct WebOptions: ParsableArguments {
    @Option(name: .customLong("web.listen-address"), help: "Address to listen on, HOST:PORT or :PORT.")
    var listenAddress: String = ":9876"

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath: String = "/metrics"

    func validate() throws {
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/", !telemetryPath.hasPrefix("/-/") else {
            throw ValidationError("--web.telemetry-path must start with / and not be / or under /-/")
        }
    }
}
