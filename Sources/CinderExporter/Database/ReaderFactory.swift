/// Builds the reader for a database URL.
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
}
