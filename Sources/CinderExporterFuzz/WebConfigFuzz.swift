import CinderExporter

/// `WebConfig.parse`: the exporter-toolkit web config (YAML through libyaml).
/// File names in `tls_server_config` resolve against Tests/FuzzCorpus/fixtures
/// (a fake certificate and key): an input naming any other file (an absolute
/// path, a `/`, `..`) is skipped, so the fuzzer never reads /dev/zero or stdin.
enum WebConfigFuzz {
    static let name = "web-config"
    static let fixtures = FuzzTargets.corpusRoot + "/fixtures"

    static let target = FuzzTarget(name: name, summary: "WebConfig.parse (libyaml), BCrypt.isBCryptHash through basic_auth_users") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let text = repaired(bytes)
        guard namesOnlyFixtures(text) else { return }
        let config: WebConfig
        do throws(ConfigurationError) {
            config = try WebConfig.parse(text, relativeTo: fixtures, name: "web.yml")
        } catch {
            try check(!error.message.isEmpty, name, "an empty error message")
            return
        }
        for (user, hash) in config.basicAuthUsers {
            let bytes = Array(hash.utf8)
            try check(bytes.count == 60 && ["$2a$", "$2b$", "$2y$"].contains(String(decoding: bytes.prefix(4), as: UTF8.self)),
                      name, "user \(user.debugDescription) kept a hash that is not bcrypt: \(hash.debugDescription)")
        }
        if let tls = config.tls {
            // TLS 1.2 is the floor whatever the file says (SPEC §3, exporter-toolkit).
            try check(tls.priorities == "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3"
                      || tls.priorities == "NORMAL:-VERS-ALL:+VERS-TLS1.2"
                      || tls.priorities == "NORMAL:-VERS-ALL:+VERS-TLS1.3",
                      name, "unexpected GnuTLS priorities \(tls.priorities.debugDescription)")
        }
    }

    /// Whether every file the parser could open is a plain name inside the
    /// fixtures directory. Walks the same YAML tree the parser reads.
    static func namesOnlyFixtures(_ text: String) -> Bool {
        guard let document = try? YAMLNode.parse(text), case .mapping(let top) = document,
              let tls = top.first(where: { $0.key == "tls_server_config" })?.value,
              case .mapping(let settings) = tls else { return true }
        // Every value, not only cert_file and key_file: a later key that
        // names a file (client_ca_file) must not reach outside either; a merge
        // key or a non-scalar value could hide one, so such inputs are skipped.
        for pair in settings {
            guard pair.key != "<<", let path = pair.value.scalar?.text else { return false }
            if path.contains("/") || path.hasPrefix(".") || path.isEmpty { return false }
        }
        return true
    }
}
