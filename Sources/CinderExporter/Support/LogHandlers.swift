import Logging
#if canImport(Glibc)
import Glibc
#endif

public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt, json
}

/// One line per event on stderr, in logfmt or JSON, as Prometheus exporters log.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat
    private static let writeLock = Lock(())

    public init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", UTCTime.isoString(micros: Clock.nowMicros()) + "Z"),
            ("level", Self.levelName(event.level)),
            ("msg", event.message.description),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            fields.append((key, "\(merged[key]!)"))
        }
        let line = format == .json ? Self.json(fields) : Self.logfmt(fields)
        Self.writeLock.withLock { _ in
            StandardError.write(line + "\n")
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error, .critical: return "error"
        }
    }

    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            // Quoted (and escaped) whenever a scalar could end the field or
            // reach a terminal as a control: C0, DEL and C1 (U+009B is a CSI).
            let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
                $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.properties.isWhitespace || JSONText.isControl($0)
            }
            guard needsQuotes else { return "\(key)=\(value)" }
            // JSON's string escapes are valid inside logfmt's quotes too.
            return "\(key)=\"\(JSONText.escape(value))\""
        }.joined(separator: " ")
    }

    static func json(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\(JSONText.escape($0.0))\":\"\(JSONText.escape($0.1))\"" }.joined(separator: ",") + "}"
    }

}

/// Unbuffered writes to fd 2 (the C `stderr` global is not concurrency-safe in Swift 6).
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { break }
            offset += written
        }
    }
}
