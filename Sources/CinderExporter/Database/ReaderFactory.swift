/// Builds the reader for a database URL.
public enum ReaderFactory {
    public static func reader(for url: DatabaseURL, timeoutSeconds: Double) -> any ServiceReader {
        switch url {
        case .sqlite(let path):
            return SQLiteReader(path: path, timeoutSeconds: timeoutSeconds)
        case .mysql(let target):
            return MySQLUnavailableReader(target: target)
        }
    }
}

/// Placeholder until the MariaDB reader lands: every read fails with a clear message.
final class MySQLUnavailableReader: ServiceReader {
    let target: DatabaseURL.MySQLTarget
    init(target: DatabaseURL.MySQLTarget) { self.target = target }
    var description: String { DatabaseURL.mysql(target).logDescription }
    func readRows() throws(DatabaseError) -> [ServiceRow] {
        throw DatabaseError("MySQL/MariaDB support is not built into this version")
    }
}
