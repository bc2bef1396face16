#if canImport(Glibc)
import Glibc
#endif

/// `--web.config.file` in Prometheus exporter-toolkit's format: TLS and
/// bcrypt basic auth. Loaded and checked once at start (strict: unknown keys
/// are errors, like exporter-toolkit's own parser).
public struct WebConfig: Sendable, Equatable {
    public struct TLS: Sendable, Equatable {
        public var certificatePEM: String
        public var keyPEM: String
        /// GnuTLS priority string: TLS 1.2 minimum unless TLS 1.3 is asked for.
        public var priorities: String
        /// exporter-toolkit's `client_auth_type`, the verifying kinds only.
        public var clientAuth: ClientAuth = .none
        /// `client_ca_file`'s PEM: the CAs a client certificate must chain to.
        public var clientCAPEM: String?
    }

    /// Which client certificates the server asks for. exporter-toolkit's
    /// RequestClientCert and RequireAnyClientCert accept certificates nobody
    /// verified, which authenticate no one: they are refused at start-up.
    public enum ClientAuth: String, Sendable, Equatable, CaseIterable {
        case none = "NoClientCert"
        case verifyIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerify = "RequireAndVerifyClientCert"
    }

    public var tls: TLS?
    /// user → bcrypt hash
    public var basicAuthUsers: [String: String]

    public init(tls: TLS? = nil, basicAuthUsers: [String: String] = [:]) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    public static func load(path: String) throws(ConfigurationError) -> WebConfig {
        guard let text = readText(path) else {
            throw ConfigurationError("cannot read web config \(path): \(String(cString: strerror(errno)))")
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try parse(text, relativeTo: directory, name: path)
    }

    /// The web config in `text` (pure: reads no file but the ones it names,
    /// resolved against `directory`); `name` starts every error message.
    public static func parse(_ text: String, relativeTo directory: String, name: String = "web config") throws(ConfigurationError) -> WebConfig {
        let document: YAMLNode?
        do {
            document = try YAMLNode.parse(text)
        } catch {
            throw ConfigurationError("\(name) is not valid YAML: \(error.message)")
        }
        guard let document else { return WebConfig() }
        guard case .mapping(let top) = document else {
            throw ConfigurationError("\(name): expected a mapping at the top level")
        }
        var config = WebConfig()
        for setting in top {
            switch setting.key {
            case "tls_server_config":
                config.tls = try parseTLS(setting.value, directory: directory, name: name)
            case "basic_auth_users":
                if setting.value.isNull { continue }
                guard case .mapping(let users) = setting.value else {
                    throw ConfigurationError("\(name): basic_auth_users must map user names to bcrypt hashes")
                }
                for user in users {
                    guard let hash = user.value.scalar?.text, BCrypt.isBCryptHash(hash) else {
                        throw ConfigurationError("\(name): the password of user \(user.key.debugDescription) is not a bcrypt hash ($2y$, $2b$ or $2a$)")
                    }
                    config.basicAuthUsers[user.key] = hash
                }
            default:
                throw ConfigurationError("\(name): unsupported key \(setting.key.debugDescription) (supported: tls_server_config, basic_auth_users)")
            }
        }
        return config
    }

    private static func parseTLS(_ value: YAMLNode, directory: String, name: String) throws(ConfigurationError) -> TLS? {
        if value.isNull { return nil }
        guard case .mapping(let tls) = value else {
            throw ConfigurationError("\(name): tls_server_config must be a mapping")
        }
        var certFile: String?, keyFile: String?, clientCAFile: String?
        var minimum = "TLS12", maximum: String?, clientAuthType: String?
        let supported = ["cert_file", "key_file", "min_version", "max_version", "client_ca_file", "client_auth_type"]
        for setting in tls {
            guard supported.contains(setting.key) else {
                throw ConfigurationError("\(name): unsupported tls_server_config key \(setting.key.debugDescription) (supported: "
                    + supported.joined(separator: ", ") + ")")
            }
            // Each setting is one scalar, read as its text; null (`key:` alone) leaves it unset.
            guard let scalar = setting.value.scalar else {
                throw ConfigurationError("\(name): tls_server_config \(setting.key) must be a single value, not a list or a mapping")
            }
            let text = scalar.isNull ? nil : scalar.text
            switch setting.key {
            case "cert_file": certFile = text
            case "key_file": keyFile = text
            case "min_version": minimum = text ?? minimum
            case "max_version": maximum = text
            case "client_ca_file": clientCAFile = text
            default: clientAuthType = text
            }
        }
        guard let certFile, let keyFile else {
            throw ConfigurationError("\(name): tls_server_config needs both cert_file and key_file")
        }
        let clientAuth = try clientAuthType.map { (type: String) throws(ConfigurationError) -> ClientAuth in
            guard let known = ClientAuth(rawValue: type) else {
                throw ConfigurationError("\(name): client_auth_type \(type.debugDescription) is unsupported (supported: "
                    + ClientAuth.allCases.map(\.rawValue).joined(separator: ", ") + "; certificates nobody verifies prove nothing)")
            }
            return known
        } ?? .none
        if clientAuth != .none, clientCAFile == nil {
            throw ConfigurationError("\(name): client_auth_type \(clientAuth.rawValue) needs client_ca_file (the CAs that sign client certificates)")
        }
        if clientAuth == .none, clientCAFile != nil {
            throw ConfigurationError("\(name): client_ca_file is set but client_auth_type is NoClientCert: "
                + "set client_auth_type: RequireAndVerifyClientCert (or VerifyClientCertIfGiven)")
        }
        let versions = ["TLS12": 12, "TLS13": 13]
        guard let low = versions[minimum] else {
            throw ConfigurationError("\(name): min_version \(minimum.debugDescription) is not supported (TLS12 or TLS13)")
        }
        let high = try maximum.map { (m: String) throws(ConfigurationError) -> Int in
            guard let v = versions[m] else { throw ConfigurationError("\(name): max_version \(m.debugDescription) is not supported (TLS12 or TLS13)") }
            return v
        } ?? 13
        guard low <= high else { throw ConfigurationError("\(name): min_version is above max_version") }
        let enabled = (low...high).map { "+VERS-TLS1.\($0 - 10)" }.joined(separator: ":")
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }
        var clientCA: String?
        if let clientCAFile {
            guard let text = readText(resolve(clientCAFile)), text.contains("-----BEGIN CERTIFICATE-----") else {
                throw ConfigurationError("\(name): cannot read a PEM certificate from client_ca_file \(resolve(clientCAFile))")
            }
            clientCA = text
        }
        guard let certificate = readText(resolve(certFile)), certificate.contains("-----BEGIN CERTIFICATE-----") else {
            throw ConfigurationError("\(name): cannot read a PEM certificate from \(resolve(certFile))")
        }
        guard let key = readText(resolve(keyFile)), key.contains("PRIVATE KEY-----") else {
            throw ConfigurationError("\(name): cannot read a PEM private key from \(resolve(keyFile))")
        }
        return TLS(certificatePEM: certificate, keyPEM: key, priorities: "NORMAL:-VERS-ALL:\(enabled)",
                   clientAuth: clientAuth, clientCAPEM: clientCA)
    }

    static func readText(_ path: String) -> String? {
        ProcessMetrics.readFile(path).map { String(decoding: $0, as: UTF8.self) }
    }
}
