/// Builds the readers for a database URL.
public enum ReaderFactory {
    /// `shown` is the URL as the user wrote it (password redacted), for messages.
    public static func reader(for url: DatabaseURL, shown: String? = nil, timeoutSeconds: Double) -> any ServiceReader {
        switch url {
        case .sqlite(let path):
            return SQLiteReader(path: path, timeoutSeconds: timeoutSeconds, url: shown)
        case .mysql(let target):
            return MariaDBReader(target: target, timeoutSeconds: timeoutSeconds)
        }
    }

    /// The work collectors' reader: a connection of its own, bounded by the
    /// collector timeout (SPEC §9).
    public static func workReader(for url: DatabaseURL, timeoutSeconds: Double) -> any WorkReader {
        switch url {
        case .sqlite(let path):
            return SQLiteWorkReader(path: path, timeoutSeconds: timeoutSeconds)
        case .mysql(let target):
            return MariaDBWorkReader(target: target, timeoutSeconds: timeoutSeconds)
        }
    }
}
