import ArgumentParser
import CinderExporter

/// The stuck list an operator acts on (SPEC §9), straight from the database.
struct Volumes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volumes",
        abstract: "List volumes (and snapshots, backups) in transitional statuses, oldest first, straight from the database.",
        discussion: """
            Rows whose age cannot be known come last. Exit status: 1 when --older-than is given and a row is \
            listed, else 0; 2 on bad input or an unreadable table. An empty list is a healthy answer.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Also list snapshots (host and pool are their volume's).")
    var snapshots = false

    @Flag(help: "Also list backups.")
    var backups = false

    @Flag(help: "Every status, not only the transitional ones.")
    var all = false

    @Option(help: ArgumentHelp("Only rows that last changed longer ago than this duration, e.g. 10m or 1h30m.",
                               valueName: "duration"))
    var olderThan: String?

    @Option(help: "Only this host, matched as Cinder's API does (X also matches X@backend and X#pool).")
    var host: String?

    @Option(help: "Only this status, exactly (e.g. deleting).")
    var status: String?

    @Option(help: "table or json.")
    var format: Format = .table

    /// The listing may scan a large table: longer than a scrape's bound.
    static let timeoutSeconds: Double = 30

    func validate() throws {
        if let olderThan, PrometheusDuration.seconds(olderThan) == nil {
            throw ValidationError("--older-than must be a duration such as 10m or 1h30m")
        }
    }

    func run() throws {
        let url = try database.resolvedURL()
        let reader = ReaderFactory.workReader(for: url, timeoutSeconds: Self.timeoutSeconds)
        var rows: [WorkItemRow] = []
        for kind in [WorkKind.volumes] + (snapshots ? [.snapshots] : []) + (backups ? [.backups] : []) {
            do {
                rows += try reader.listItems(kind, allStatuses: all)
            } catch {
                throw ConfigurationError("cannot read the \(kind.rawValue) table from \(url.logDescription): \(error.message)")
            }
        }
        // One clock reading for every row, as for services.
        let listing = WorkListing(rows: rows, nowMicros: Clock.nowMicros(), allStatuses: all, host: host, status: status,
                                  olderThanSeconds: olderThan.flatMap(PrometheusDuration.seconds))
        try Output.write(Array((format == .json ? listing.json() : listing.table()).utf8), what: "the work list")
        if olderThan != nil, !listing.entries.isEmpty { throw ExitCode(1) }
    }
}
