import CinderExporter

/// `DatabaseURL(parsing:)` and `DatabaseURL.redact`: the URL comes from the
/// command line, the environment or cinder.conf (SPEC §3, §5).
enum DatabaseURLFuzz {
    static let name = "database-url"

    static let target = FuzzTarget(name: name, summary: "DatabaseURL(parsing:), DatabaseURL.redact, logDescription") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let text = repaired(bytes)
        let shown = DatabaseURL.redact(text)
        try check(DatabaseURL.redact(shown) == shown, name, "redact is not idempotent: \(shown.debugDescription)")
        let secret = hiddenSpan(text)
        let parsed: DatabaseURL
        do throws(ConfigurationError) {
            parsed = try DatabaseURL(parsing: text)
        } catch {
            // Errors show the URL redacted, never the password (SPEC §3).
            // Heuristic: once every copy of the redacted URL and of the scheme
            // (named in "unsupported dialect") is removed, the rest is the
            // message's own wording, which must not hold a password of eight
            // bytes or more.
            if let secret, secret.utf8.count >= 8 {
                var rest = error.message.replacing(shown, with: "")
                if let separator = text.firstRange(of: "://") {
                    let scheme = String(text[..<separator.lowerBound])
                    rest = rest.replacing(scheme, with: "").replacing(scheme.lowercased(), with: "")
                }
                try check(!rest.containsBytes(secret), name, "an error message shows the password: \(error.message.debugDescription)")
            }
            return
        }
        try check((try? DatabaseURL(parsing: text)) == parsed, name, "parsing twice gave two answers")
        switch parsed {
        case .sqlite(let path):
            try check(!path.isEmpty, name, "an empty SQLite path was accepted")
        case .mysql(let target):
            try check(target.port != 0, name, "port 0 was accepted")
            try check(target.host?.isEmpty != true, name, "an empty host was kept instead of nil")
            var withoutPassword = target
            withoutPassword.password = nil
            try check(DatabaseURL.mysql(withoutPassword).logDescription == parsed.logDescription, name,
                      "logDescription depends on the password")
        }
    }

    /// The part of the URL that `redact` promises to hide: from the first
    /// `:` after `://` to the last `@` (nil when there is none).
    static func hiddenSpan(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let separator: [UInt8] = Array("://".utf8)
        var start = 0
        if bytes.count >= 3 {
            for index in 0...(bytes.count - 3) where bytes[index..<(index + 3)].elementsEqual(separator) {
                start = index + 3
                break
            }
        }
        guard let at = bytes[start...].lastIndex(of: UInt8(ascii: "@")),
              let colon = bytes[start..<at].firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return String(decoding: bytes[(colon + 1)..<at], as: UTF8.self)
    }
}
