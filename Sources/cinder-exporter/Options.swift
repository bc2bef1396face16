import ArgumentParser
import CinderExporter
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension LogFormat: ExpressibleByArgument {}

/// Where the Cinder database is (`--database.*`).
struct DatabaseFlags: ParsableArguments {
    @Option(name: .customLong("database.url"),
            help: ArgumentHelp("SQLAlchemy URL of the Cinder database, as in cinder.conf [database] connection, "
                + "e.g. sqlite:////var/lib/cinder/cinder.sqlite or mysql+pymysql://user@host/cinder "
                + "(env CINDER_EXPORTER_DATABASE_URL).", valueName: "url"))
    var url: String?

    @Option(name: .customLong("database.password-file"),
            help: ArgumentHelp("File holding the MySQL password (a trailing newline is ignored); replaces the password in the URL.",
                               valueName: "path"))
    var passwordFile: String?

    @Option(name: .customLong("database.timeout"),
            help: ArgumentHelp("Seconds to wait for the database on connect and read (at most 30); a scrape also stops 0.5 s before Prometheus's scrape timeout.",
                               valueName: "seconds"))
    var timeout: Double = 5
}

/// What cinder.conf says (`--cinder.*`).
struct CinderFlags: ParsableArguments {
    @Option(name: .customLong("cinder.config-file"),
            help: ArgumentHelp("Read [database] connection and [DEFAULT] service_down_time from this cinder.conf; the other flags override it.",
                               valueName: "path"))
    var configFile: String?

    @Option(name: .customLong("cinder.service-down-time"),
            help: ArgumentHelp("Seconds without a heartbeat before a service is down, as cinder.conf's service_down_time "
                + "(default: 60, or service_down_time from --cinder.config-file).", valueName: "seconds"))
    var serviceDownTime: Int64?
}

/// Flags every subcommand that reads the database shares (SPEC §3), shown
/// under two headings in --help.
struct DatabaseOptions: ParsableArguments {
    @OptionGroup(title: "Database") var database: DatabaseFlags
    @OptionGroup(title: "Cinder") var cinder: CinderFlags

    var databaseURL: String? { database.url }
    var databaseTimeout: Double { database.timeout }
    var passwordFile: String? { database.passwordFile }
    var cinderConfigFile: String? { cinder.configFile }
    var serviceDownTime: Int64? { cinder.serviceDownTime }

    /// Up to about 31 years: microsecond arithmetic on it can never overflow.
    static let downTimeRange: ClosedRange<Int64> = 1...1_000_000_000

    func validate() throws {
        // Below the HTTP idle limit (60 s), which also bounds the wait for an answer.
        guard databaseTimeout.isFinite, databaseTimeout > 0, databaseTimeout <= 30 else {
            throw ValidationError("--database.timeout must be a number of seconds above 0 and at most 30")
        }
        if let serviceDownTime, !Self.downTimeRange.contains(serviceDownTime) {
            throw ValidationError("--cinder.service-down-time must be a whole number of seconds from 1 to 1000000000")
        }
    }

    /// The URL from the flag, else the environment, else cinder.conf; the
    /// password from --database.password-file when given. Start-up errors name the fix.
    func resolvedURL() throws(ConfigurationError) -> DatabaseURL { try resolved().url }

    /// The URL and how to show it: as the user wrote it, password redacted.
    func resolved() throws(ConfigurationError) -> (url: DatabaseURL, shown: String) {
        let environment = getenv("CINDER_EXPORTER_DATABASE_URL").map { String(cString: $0) }
        let config = try cinderConfig()
        guard let text = [databaseURL, environment, config.connection].lazy.compactMap({ $0 }).first(where: { !$0.isEmpty })
        else {
            throw ConfigurationError(cinderConfigFile.map { "no database: \($0) has no [database] connection; give --database.url" }
                ?? "no database: give --database.url, set CINDER_EXPORTER_DATABASE_URL or give --cinder.config-file")
        }
        var url = try DatabaseURL(parsing: text)
        if let passwordFile {
            guard case .mysql(var target) = url else {
                throw ConfigurationError("--database.password-file applies to mysql:// URLs only")
            }
            var bytes = try CinderConfig.readFile(passwordFile, what: "password file")
            while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
            target.password = String(decoding: bytes, as: UTF8.self)
            url = .mysql(target)
        }
        if case .mysql(let target) = url { try target.tls?.checkFiles() }
        return (url, DatabaseURL.redact(text))
    }

    /// The flag, else cinder.conf's [DEFAULT] service_down_time, else 60.
    var downTimeSeconds: Int64 {
        get throws(ConfigurationError) {
            if let serviceDownTime { return serviceDownTime }
            guard let fromConfig = try cinderConfig().serviceDownTime else { return 60 }
            guard Self.downTimeRange.contains(fromConfig) else {
                throw ConfigurationError("\(cinderConfigFile ?? "cinder.conf"): [DEFAULT] service_down_time must be a whole number of seconds from 1 to 1000000000")
            }
            return fromConfig
        }
    }

    private func cinderConfig() throws(ConfigurationError) -> CinderConfig {
        guard let cinderConfigFile else { return CinderConfig() }
        return try CinderConfig.load(path: cinderConfigFile)
    }
}

/// `--log.*`, shown under their own heading in --help.
struct LogOptions: ParsableArguments {
    @OptionGroup(title: "Log") var flags: LogFlags
    var level: LogLevelName { flags.level }
    var format: LogFormat { flags.format }

    func makeLogger() -> Logger {
        let level = self.level.level
        let format = self.format
        return Logger(label: "cinder-exporter") { label in
            StderrLogHandler(label: label, format: format, level: level)
        }
    }
}

struct LogFlags: ParsableArguments {
    @Option(name: .customLong("log.level"), help: ArgumentHelp("Least severe level logged (one line per event on stderr).", valueName: "level"))
    var level: LogLevelName = .info

    @Option(name: .customLong("log.format"), help: ArgumentHelp("Log line format.", valueName: "format"))
    var format: LogFormat = .logfmt
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

/// `--web.*`, shown under their own heading in --help.
struct WebOptions: ParsableArguments {
    @OptionGroup(title: "Web") var flags: WebFlags
    var listenAddress: String { flags.listenAddress }
    var telemetryPath: String { flags.telemetryPath }
    var configFile: String? { flags.configFile }

    func loadConfig() throws(ConfigurationError) -> WebConfig {
        guard let configFile else { return WebConfig() }
        return try WebConfig.load(path: configFile)
    }

}

struct WebFlags: ParsableArguments {
    @Option(name: .customLong("web.listen-address"),
            help: ArgumentHelp("Address to listen on: HOST:PORT, :PORT (every address) or [IPv6]:PORT.", valueName: "address"))
    var listenAddress: String = ":9876"

    @Option(name: .customLong("web.telemetry-path"), help: ArgumentHelp("Path under which to expose metrics.", valueName: "path"))
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("web.config.file"),
            help: ArgumentHelp("Prometheus exporter-toolkit web config: TLS (tls_server_config) and basic auth (basic_auth_users with bcrypt hashes).",
                               valueName: "path"))
    var configFile: String?

    func validate() throws {
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/", !telemetryPath.hasPrefix("/-/") else {
            throw ValidationError("--web.telemetry-path must start with / and not be / or under /-/")
        }
    }
}
