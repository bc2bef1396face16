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
        // Errors show the URL redacted, never the password (SPEC §3). A canary
        // put at both ends of the part `redact` hides (from the first `:`
        // after `://` to the last `@`) must not reach `redact`'s output or
        // any error message. Checked on the URL with the canaries added.
        if let (colon, at) = hiddenSpan(text) {
            let bytes = Array(text.utf8)
            let marked = String(decoding: bytes[...colon] + canary.utf8 + bytes[(colon + 1)..<at] + canary.utf8 + bytes[at...],
                                as: UTF8.self)
            if !text.containsBytes(canary) {
                try check(!DatabaseURL.redact(marked).containsBytes(canary), name,
                          "redact shows the password: \(DatabaseURL.redact(marked).debugDescription)")
                do throws(ConfigurationError) {
                    _ = try DatabaseURL(parsing: marked)
                } catch {
                    try check(!error.message.containsBytes(canary), name,
                              "an error message shows the password: \(error.message.debugDescription)")
                }
            }
        }
        let parsed: DatabaseURL
        do throws(ConfigurationError) {
            parsed = try DatabaseURL(parsing: text)
        } catch {
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

    static let canary = "\u{1F511}fuzz-canary\u{1F511}"

    /// The byte offsets of the `:` and `@` around the part of the URL that
    /// `redact` promises to hide: the first `:` after `://`, the last `@`.
    static func hiddenSpan(_ text: String) -> (colon: Int, at: Int)? {
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
        return (colon, at)
    }
}
