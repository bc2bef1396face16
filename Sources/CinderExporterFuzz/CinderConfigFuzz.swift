import CinderExporter

/// `CinderConfig(parsing:)`: cinder.conf as oslo.config reads it (SPEC §3).
/// The input is parsed as a whole file; then, when it is one line, it is
/// also written as a quoted `[database] connection` value (with `$` doubled)
/// and must read back unchanged, as oslo.config would return it.
enum CinderConfigFuzz {
    static let name = "cinder-conf"

    static let target = FuzzTarget(name: name, summary: "CinderConfig(parsing:), its connection through DatabaseURL(parsing:)") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let text = repaired(bytes)
        if let config = try? CinderConfig(parsing: text) {
            try check((try? CinderConfig(parsing: text)) == config, name, "parsing twice gave two answers")
            if let connection = config.connection { _ = try? DatabaseURL(parsing: connection) }
        }

        // The round trip of one value.
        let breaks: Set<Unicode.Scalar> = ["\n", "\r"]
        guard !text.unicodeScalars.contains(where: { breaks.contains($0) }), !text.contains("\\$") else { return }
        let document = "[database]\nconnection = \"" + text.replacing("$", with: "$$") + "\"\n"
        let config: CinderConfig
        do throws(ConfigurationError) {
            config = try CinderConfig(parsing: document)
        } catch {
            throw InvariantViolation(name, "the quoted value \(text.debugDescription) was refused: \(error.message)")
        }
        try check(config.connection == text, name,
                  "the quoted value \(text.debugDescription) read back as \(String(describing: config.connection?.debugDescription))")

        // service_down_time: any Int64 written in decimal reads back.
        if bytes.count >= 8 {
            let seconds = bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let config = try? CinderConfig(parsing: "[DEFAULT]\nservice_down_time = \(seconds)\n")
            try check(config?.serviceDownTime == seconds, name, "service_down_time \(seconds) did not read back")
        }
    }
}
