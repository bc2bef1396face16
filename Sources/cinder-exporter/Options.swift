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

    @Option(name: .customLong("database.timeout"), help: "Seconds to wait for the database on connect and read (at most 30); a scrape also stops 0.5 s before Prometheus's scrape timeout.")
    var databaseTimeout: Double = 5

    @Option(name: .customLong("cinder.service-down-time"),
            help: "Seconds without a heartbeat before a service is down (cinder.conf service_down_time).")
    var serviceDownTime: Int64?

    /// Up to about 31 years: microsecond arithmetic on it can never overflow.
    static let downTimeRange: ClosedRange<Int64> = 1...1_000_000_000

    @Option(name: .customLong("cinder.config-file"),
            help: "Read [database] connection and [DEFAULT] service_down_time from this cinder.conf; flags override it.")
    var cinderConfigFile: String?

    @Option(name: .customLong("database.password-file"),
            help: "File holding the MySQL password (a trailing newline is ignored); replaces the password in the URL.")
    var passwordFile: String?

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
    func resolvedURL() throws(ConfigurationError) -> DatabaseURL {
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
        return url
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
    @Option(name: .customLong("web.listen-address"), help: "Address to listen on: HOST:PORT, :PORT (every address) or [IPv6]:PORT.")
    var listenAddress: String = ":9876"

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("web.config.file"),
            help: "Prometheus exporter-toolkit web config (tls_server_config, basic_auth_users with bcrypt hashes).")
    var configFile: String?

    func loadConfig() throws(ConfigurationError) -> WebConfig {
        guard let configFile else { return WebConfig() }
        return try WebConfig.load(path: configFile)
    }

    func validate() throws {
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/", !telemetryPath.hasPrefix("/-/") else {
            throw ValidationError("--web.telemetry-path must start with / and not be / or under /-/")
        }
    }
}
