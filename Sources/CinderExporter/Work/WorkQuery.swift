/// The SQL behind the work collectors and the `volumes` command (SPEC §9).
/// One aggregate per table; named columns only; live rows only (`deleted = 0`,
/// as for services). Nothing from a request or a flag reaches these strings.
public enum SQLDialect: Sendable { case sqlite, mysql }

enum WorkQuery {
    /// Columns of every aggregate: host, status, count, size (GiB), oldest time.
    enum AggregateColumn: Int32 { case host = 0, status, count, size, oldest }

    /// `last = updated_at, else created_at` (SPEC §1: an updated_at that is not
    /// NULL decides, even when it cannot be read) and the oldest of them that a
    /// reader can parse. The validity test is §1's timestamp rule in SQL, so
    /// that a row whose time cannot be known never hides an older known one.
    static func aggregate(_ kind: WorkKind, _ dialect: SQLDialect) -> String {
        // Every live row is read anyway: a scan in table order. SQLite would
        // otherwise walk the (deleted, host) index and fetch each row by
        // rowid, 4x slower on 200,000 volumes; MariaDB already scans.
        let scan = dialect == .sqlite ? " NOT INDEXED" : ""
        let source: String
        switch kind {
        case .volumes:
            source = "SELECT host, status, size, COALESCE(updated_at, created_at) AS l FROM volumes\(scan) WHERE deleted = 0"
        case .snapshots:
            // A snapshot has no host: its volume's, found by id whether or not
            // the volume is deleted (NULL when no volume row has that id).
            source = """
                SELECT v.host AS host, s.status AS status, s.volume_size AS size, \
                COALESCE(s.updated_at, s.created_at) AS l \
                FROM snapshots s\(scan) LEFT JOIN volumes v ON v.id = s.volume_id WHERE s.deleted = 0
                """
        case .backups:
            source = "SELECT host, status, size, COALESCE(updated_at, created_at) AS l FROM backups\(scan) WHERE deleted = 0"
        }
        // Only transitional rows get an age, and they are few: the timestamp
        // test (costly per row) runs for them alone. Under a case-insensitive
        // collation IN also lets 'CREATING' through, whose age is then unused.
        let inFlight = "status IN (\(kind.transitionalStatuses.map { "'\($0)'" }.joined(separator: ", ")))"
        switch dialect {
        case .sqlite:
            // SQLite groups by bytes already; TOTAL is 0.0 over NULLs.
            return "SELECT host, status, COUNT(*), TOTAL(size), "
                + "MIN(CASE WHEN \(inFlight) AND \(sqliteValidTime("l")) THEN CAST(l AS TEXT) END) "
                + "FROM (\(source)) GROUP BY host, status"
        case .mysql:
            // Group on the bytes, not the collation: 'CREATING' and 'creating'
            // are two label sets. SUM comes back as DECIMAL text.
            return "SELECT CAST(host AS BINARY) AS h, CAST(status AS BINARY) AS st, COUNT(*), "
                + "CAST(COALESCE(SUM(size), 0) AS CHAR), MIN(CASE WHEN \(inFlight) AND \(mysqlValidTime("l")) THEN l END) "
                + "FROM (\(source)) w GROUP BY h, st"
        }
    }

    /// Text exactly `YYYY-MM-DD HH:MM:SS[.f{1,6}]` naming a real instant from
    /// year 1 (what `UTCTime.parse` accepts): the shape by GLOB and length in
    /// bytes (a NUL inside does not shorten it), the calendar by a round trip
    /// through a Julian day number, which moves 02-30 or 24:00 to another day
    /// (strftime on the text alone keeps them).
    static func sqliteValidTime(_ c: String) -> String {
        "(typeof(\(c)) IN ('text', 'blob') AND length(CAST(\(c) AS BLOB)) IN (19, 21, 22, 23, 24, 25, 26) "
            + "AND CAST(\(c) AS TEXT) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' "
            + "AND (length(CAST(\(c) AS BLOB)) = 19 OR (substr(CAST(\(c) AS TEXT), 20, 1) = '.' "
            + "AND substr(CAST(\(c) AS TEXT), 21) NOT GLOB '*[^0-9]*')) "
            + "AND substr(CAST(\(c) AS TEXT), 1, 4) <> '0000' "
            + "AND strftime('%Y-%m-%d %H:%M:%S', julianday(substr(CAST(\(c) AS TEXT), 1, 19))) = substr(CAST(\(c) AS TEXT), 1, 19))"
    }

    /// A DATETIME the MariaDB reader can turn into an instant: no zero year,
    /// month or day, and a day that exists in its month (ALLOW_INVALID_DATES).
    static func mysqlValidTime(_ c: String) -> String {
        "(YEAR(\(c)) > 0 AND MONTH(\(c)) > 0 AND DAYOFMONTH(\(c)) > 0 AND DAYOFMONTH(\(c)) <= DAYOFMONTH(LAST_DAY(\(c))))"
    }

    /// Columns of every listing: id, host, status, project_id, size, updated_at, created_at.
    enum ListingColumn: Int32 { case id = 0, host, status, project, size, updatedAt, createdAt }

    /// Every live row of one table for `cinder-exporter volumes`, narrowed to
    /// the transitional statuses unless `allStatuses`. The database's own
    /// comparison may be case-insensitive: the caller filters again by bytes.
    static func listing(_ kind: WorkKind, allStatuses: Bool) -> String {
        func filter(_ column: String) -> String {
            allStatuses ? "" : " AND \(column) IN (\(kind.transitionalStatuses.map { "'\($0)'" }.joined(separator: ", ")))"
        }
        switch kind {
        case .volumes:
            return "SELECT id, host, status, project_id, size, updated_at, created_at FROM volumes WHERE deleted = 0" + filter("status")
        case .snapshots:
            return """
                SELECT s.id, v.host, s.status, s.project_id, s.volume_size, s.updated_at, s.created_at \
                FROM snapshots s LEFT JOIN volumes v ON v.id = s.volume_id WHERE s.deleted = 0
                """ + filter("s.status")
        case .backups:
            return "SELECT id, host, status, project_id, size, updated_at, created_at FROM backups WHERE deleted = 0" + filter("status")
        }
    }
}

/// One row of a work table as `cinder-exporter volumes` lists it.
public struct WorkItemRow: Sendable, Equatable {
    public var kind: WorkKind
    public var id: String
    public var host: String
    public var status: String
    public var projectID: String
    public var sizeGiB: Int64?
    public var updatedAt: StoredTime
    public var createdAt: StoredTime

    public init(kind: WorkKind, id: String, host: String, status: String, projectID: String, sizeGiB: Int64?,
                updatedAt: StoredTime, createdAt: StoredTime) {
        self.kind = kind
        self.id = id
        self.host = host
        self.status = status
        self.projectID = projectID
        self.sizeGiB = sizeGiB
        self.updatedAt = updatedAt
        self.createdAt = createdAt
    }

    /// `updated_at, else created_at`, by the rule the services use.
    public var lastChange: Int64? { StoredTime.lastChange(updatedAt: updatedAt, createdAt: createdAt) }
}

/// Reads Cinder's work tables. Implementations use a connection of their own
/// (never the services reader's, so a long scan never delays a scrape).
public protocol WorkReader: AnyObject, Sendable {
    /// The aggregate of one table, bounded by the reader's collector timeout.
    func readGroups(_ kind: WorkKind) throws(DatabaseError) -> [WorkGroupRow]
    /// Live rows of one table (transitional statuses only unless `allStatuses`).
    func listItems(_ kind: WorkKind, allStatuses: Bool) throws(DatabaseError) -> [WorkItemRow]
    var description: String { get }
}
