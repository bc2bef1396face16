import ArgumentParser
import CinderExporter
import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct CinderExporterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cinder-exporter",
        abstract: "Prometheus exporter for OpenStack Cinder service state, read from the Cinder database.",
        version: "cinder-exporter \(BuildInfo.version) (revision \(BuildInfo.revision))",
        subcommands: [Serve.self, MetricsCommand.self, Services.self, Volumes.self, Demo.self],
        defaultSubcommand: Serve.self)
}

/// Serves /metrics until SIGINT or SIGTERM (the default subcommand).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: """
            cinder-exporter is a Prometheus exporter for OpenStack Cinder. It reads the services table \
            straight from the Cinder database and serves, for every Cinder service, whether it is up by \
            Cinder's own rule (as `cinder service-list` shows it), its heartbeat age, report count and \
            disabled state, on HTTP /metrics (this is `serve`, the default subcommand).
            """,
        usage: "cinder-exporter [serve] [--database.url <url> | --cinder.config-file <path>] [<options>]",
        discussion: "Give the database with --database.url or --cinder.config-file (or the environment). Exit status: 0 after SIGINT or SIGTERM, 2 on bad input (unknown flag, malformed URL, unreadable cinder.conf or web config). A database that cannot be read does not stop it: it serves cinder_exporter_database_up 0 and recovers by itself.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup(title: "Collectors") var collectors: CollectorOptions
    @OptionGroup var web: WebOptions
    @OptionGroup var log: LogOptions

    func run() throws {
        let (url, shown) = try database.resolved()
        let address = try ListenAddress(parsing: web.listenAddress)
        let webConfig = try web.loadConfig()
        let logger = log.makeLogger()
        let reader = ReaderFactory.reader(for: url, shown: shown, timeoutSeconds: database.databaseTimeout)
        try Runner.serve(reader: reader, work: collectors.makeCollectors(url: url, logger: logger),
                         webConfig: webConfig, downTimeSeconds: database.downTimeSeconds,
                         timeoutSeconds: database.databaseTimeout, address: address,
                         telemetryPath: web.telemetryPath, logger: logger, databaseDescription: reader.description)
    }
}

/// Prints one exposition and exits: 0 when the table was read, 1 when not.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print one exposition to stdout and exit (1 when the table cannot be read).",
        discussion: "Exit status: 0 when the services table was read; 1 when it could not be read (the exposition is still printed, with cinder_exporter_database_up 0, and one line goes to stderr) or stdout cannot be written; 2 on bad input (unknown flag, malformed URL, unreadable cinder.conf).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup(title: "Collectors") var collectors: CollectorOptions
    @OptionGroup var log: LogOptions

    func run() throws {
        let (url, shown) = try database.resolved()
        let logger = log.makeLogger()
        let scraper = Scraper(reader: ReaderFactory.reader(for: url, shown: shown, timeoutSeconds: database.databaseTimeout),
                              downTimeSeconds: try database.downTimeSeconds,
                              readTimeoutSeconds: database.databaseTimeout,
                              work: collectors.makeCollectors(url: url, logger: logger), logger: logger)
        // Exit 1 is about the services read only: a failed work collector
        // shows in its success gauge and its log line (SPEC §3).
        let (body, servicesRead) = scraper.scrapeOnce(format: .text004)
        try Output.write(body, what: "the exposition")
        if !servicesRead { throw ExitCode(1) }
    }
}

/// `cinder service-list` straight from the database, for when the API is down.
/// Exit 0 when every enabled service is up, 1 when one is down, 2 on bad
/// input or an unreadable database.
struct Services: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "Print the table `cinder service-list` would show, straight from the database.",
        discussion: "Exit status: 0 when every enabled service is up, 1 when one is down, 2 on bad input, an unreadable database, or a --host/--binary that matches no live service.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var database: DatabaseOptions

    @Option(help: "table or json.")
    var format: Format = .table

    @Option(help: "Only this host, matched as Cinder's API does (X also matches X@backend and X#pool).")
    var host: String?

    @Option(help: "Only this binary, e.g. cinder-volume.")
    var binary: String?

    func run() throws {
        let (url, shown) = try database.resolved()
        let downTime = try database.downTimeSeconds
        let reader = ReaderFactory.reader(for: url, shown: shown, timeoutSeconds: database.databaseTimeout)
        let rows: [ServiceRow]
        do {
            rows = try reader.readRows()
        } catch {
            throw ConfigurationError("cannot read the services table from \(reader.description): \(error.message)")
        }
        // One clock reading for the whole table, as Cinder's API does.
        let listing = ServiceListing(rows: rows, nowMicros: Clock.nowMicros(), downTimeSeconds: downTime,
                                     host: host, binary: binary)
        // A filter that matches nothing is a typo until proven otherwise: never "healthy".
        if listing.entries.isEmpty, host != nil || binary != nil {
            let filters = [host.map { "--host \($0)" }, binary.map { "--binary \($0)" }].compactMap { $0 }.joined(separator: " ")
            let binaries = Set(rows.map(\.binary)).sorted().joined(separator: ", ")
            throw ConfigurationError("no live service matches \(filters) (\(rows.count) live services"
                + (rows.isEmpty ? ")" : "; binaries: \(binaries))"))
        }
        try Output.write(Array((format == .json ? listing.json() : listing.table()).utf8), what: "the service list")
        if listing.enabledServiceDown { throw ExitCode(1) }
    }
}

/// Runs the exporter on a self-made database whose services heartbeat.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Serve metrics for a simulated Cinder database (no Cinder needed).",
        discussion: "Exit status: 0 after SIGINT or SIGTERM; 2 on bad input, or when --demo.database names an existing file the demo did not make (it is left untouched).")

    @OptionGroup(title: "Collectors") var collectors: CollectorOptions
    @OptionGroup var web: WebOptions
    @OptionGroup var log: LogOptions

    @Option(name: .customLong("demo.database"),
            help: ArgumentHelp("Where to create the demo SQLite database (default: a new temporary folder).", valueName: "path"))
    var path: String?

    @Option(name: .customLong("demo.heartbeat-interval"),
            help: ArgumentHelp("Seconds between simulated heartbeats (Cinder's report_interval).", valueName: "seconds"))
    var interval: Int = 10

    func validate() throws {
        guard (1...3600).contains(interval) else {
            throw ValidationError("--demo.heartbeat-interval must be a whole number of seconds from 1 to 3600")
        }
    }

    func run() throws {
        let logger = log.makeLogger()
        let address = try ListenAddress(parsing: web.listenAddress)
        let webConfig = try web.loadConfig()
        let madeDirectory = path == nil ? try Output.temporaryDirectory() : nil
        let file = path ?? madeDirectory! + "/cinder.sqlite"
        let demo: DemoDatabase
        do {
            demo = try DemoDatabase(path: file)
        } catch {
            if let madeDirectory { Output.removeTree(madeDirectory) }
            throw ConfigurationError(error.message)
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "demo.heartbeat"))
        timer.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        timer.setEventHandler {
            do {
                if let stopped = try demo.heartbeat() {
                    logger.info("demo service stopped heartbeating; down when its last heartbeat is more than 60 s old", metadata: [
                        "host": "\(stopped.host)", "binary": "\(stopped.binary)",
                        "last_heartbeat": "\(UTCTime.isoSeconds(micros: stopped.lastHeartbeatMicros))",
                        "down_from": "\(UTCTime.isoSeconds(micros: stopped.lastHeartbeatMicros + 60_000_001))",
                    ])
                }
            } catch {
                logger.error("demo heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
        timer.resume()
        logger.info("demo database created; storage-2@ceph stops heartbeating after 60 s and is down 60 s after its last heartbeat",
                    metadata: ["path": "\(file)", "url": "sqlite:///\(file)"])
        let reader = SQLiteReader(path: file, timeoutSeconds: 5)
        try Runner.serve(reader: reader, work: collectors.makeCollectors(url: .sqlite(path: file), logger: logger),
                         webConfig: webConfig, downTimeSeconds: 60, timeoutSeconds: 5,
                         address: address, telemetryPath: web.telemetryPath, logger: logger,
                         databaseDescription: reader.description)
        timer.cancel()
        // A folder the demo made for itself goes when the demo does.
        if let madeDirectory { Output.removeTree(madeDirectory) }
    }
}

enum Runner {
    static func serve(reader: any ServiceReader, work: WorkCollectors?, webConfig: WebConfig, downTimeSeconds: Int64, timeoutSeconds: Double, address: ListenAddress,
                      telemetryPath: String, logger: Logger, databaseDescription: String) throws {
        TerminationSignals.block()
        let scraper = Scraper(reader: reader, downTimeSeconds: downTimeSeconds,
                              readTimeoutSeconds: timeoutSeconds, work: work, logger: logger)
        let routes = ExporterHandler(scraper: scraper, telemetryPath: telemetryPath)
        let handler = AuthenticatingHandler(authenticator: Authenticator(users: webConfig.basicAuthUsers), inner: routes)
        let server = try HTTPServer(address: address, tls: webConfig.tls, handler: handler, logger: logger)
        logger.info("cinder-exporter started", metadata: [
            "version": "\(BuildInfo.version)", "address": "\(ListenAddress(host: address.host, port: server.port))",
            "database": "\(databaseDescription)", "telemetry_path": "\(telemetryPath)",
            "service_down_time": "\(downTimeSeconds)", "tls": "\(webConfig.tls != nil)",
            "basic_auth": "\(!webConfig.basicAuthUsers.isEmpty)",
            "collectors": "\((["services"] + (work?.kinds.map(\.collectorName) ?? [])).joined(separator: ","))",
        ])
        // Read once now, so that a wrong URL or a missing table is logged at
        // start-up rather than at the first scrape (the server answers meanwhile).
        _ = scraper.read()
        // The work collectors refresh in the background, never in a scrape.
        work?.start()
        let signal = TerminationSignals.waitForTermination()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        server.stop()
        work?.stop()
    }
}
