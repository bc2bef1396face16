/// Builds the reader for a database URL.
public enum ReaderFactory {
    public static func reader(for url: DatabaseURL, timeoutSeconds: Double) -> any ServiceReader {
        switch url {
        case .sqlite(let path):
            return SQLiteReader(path: path, timeoutSeconds: timeoutSeconds)
        case .mysql(let target):
            return MariaDBReader(target: target, timeoutSeconds: timeoutSeconds)
        }
    }
}
