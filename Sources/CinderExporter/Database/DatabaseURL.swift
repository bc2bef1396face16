#if canImport(Glibc)
import Glibc
#endif

/// The SQLAlchemy URL from cinder.conf's `[database] connection` (SPEC §3),
/// parsed the way SQLAlchemy's `make_url` splits it.
public enum DatabaseURL: Sendable, Equatable {
    case sqlite(path: String)
    case mysql(MySQLTarget)

    public struct MySQLTarget: Sendable, Equatable {
        public var user: String
        public var password: String?
        /// nil when the URL names no host (libmariadb then uses `localhost`, the socket).
        public var host: String?
        public var port: UInt16?
        public var database: String
        public var unixSocket: String?
        /// TLS as the URL's `ssl_*` options ask for it; nil = no TLS.
        public var tls: MySQLTLS?

        public init(user: String = "", password: String? = nil, host: String? = nil, port: UInt16? = nil,
                    database: String = "", unixSocket: String? = nil, tls: MySQLTLS? = nil) {
            self.user = user
            self.password = password
            self.host = host
            self.port = port
            self.database = database
            self.unixSocket = unixSocket
            self.tls = tls
        }
    }

    /// TLS to MySQL/MariaDB (SPEC §5), from the `ssl_*` query options that
    /// SQLAlchemy passes to PyMySQL. With TLS asked for, the connection is
    /// TLS or nothing: never plain text.
    public struct MySQLTLS: Sendable, Equatable {
        public var ca: String?
        public var capath: String?
        public var cert: String?
        public var key: String?
        public var cipher: String?
        /// Verify the server's certificate chain (against `ca`/`capath`, or
        /// the system's CAs when neither is given).
        public var verifyChain: Bool
        /// Verify that the certificate names the host connected to.
        public var verifyHostName: Bool

        public init(ca: String? = nil, capath: String? = nil, cert: String? = nil, key: String? = nil,
                    cipher: String? = nil, verifyChain: Bool, verifyHostName: Bool) {
            self.ca = ca
            self.capath = capath
            self.cert = cert
            self.key = key
            self.cipher = cipher
            self.verifyChain = verifyChain
            self.verifyHostName = verifyHostName
        }

        /// The query keys understood; any other `ssl…` key stops start-up.
        public static let keys = ["ssl_ca", "ssl_capath", "ssl_cert", "ssl_key", "ssl_cipher", "ssl_verify_cert",
                                  "ssl_verify_identity", "ssl_check_hostname", "ssl_disabled"]

        /// PyMySQL's rules, from the `ssl_*` options of one URL (pure: no
        /// file is touched; `checkFiles` does that at start-up). nil when no
        /// TLS is asked for or `ssl_disabled` is true.
        static func from(_ options: [String: String], shown: String) throws(ConfigurationError) -> MySQLTLS? {
            func flag(_ key: String) throws(ConfigurationError) -> Bool? {
                guard let value = options[key] else { return nil }
                // SQLAlchemy's asbool.
                switch value.lowercased() {
                case "true", "yes", "on", "y", "t", "1": return true
                case "false", "no", "off", "n", "f", "0": return false
                default:
                    throw ConfigurationError("database URL \"\(shown)\": \(key) must be true or false, not \"\(value)\"")
                }
            }
            func path(_ key: String) throws(ConfigurationError) -> String? {
                guard let value = options[key] else { return nil }
                guard !value.isEmpty else { throw ConfigurationError("database URL \"\(shown)\": \(key) names no file") }
                return value
            }
            let disabled = try flag("ssl_disabled") ?? false
            let verifyCert = try flag("ssl_verify_cert")
            let identity = try flag("ssl_verify_identity"), checkHostname = try flag("ssl_check_hostname")
            let verifyIdentity = identity ?? checkHostname
            var tls = MySQLTLS(ca: try path("ssl_ca"), capath: try path("ssl_capath"), cert: try path("ssl_cert"),
                               key: try path("ssl_key"), cipher: options["ssl_cipher"], verifyChain: false, verifyHostName: false)
            guard !disabled else { return nil }
            let hasCA = tls.ca != nil || tls.capath != nil
            let asked = hasCA || tls.cert != nil || tls.key != nil || tls.cipher != nil
                || verifyCert == true || verifyIdentity == true
            guard asked else { return nil }
            if (tls.cert == nil) != (tls.key == nil) {
                throw ConfigurationError("database URL \"\(shown)\": ssl_cert and ssl_key go together (a client certificate and its key)")
            }
            // A CA given means the chain and the host name are verified
            // (PyMySQL's behaviour) unless the URL turns verification off.
            // A host name is only worth checking on a verified chain.
            let host = verifyIdentity ?? (verifyCert ?? hasCA)
            let chain = (verifyCert ?? hasCA) || host
            if chain && !host && !hasCA {
                throw ConfigurationError("database URL \"\(shown)\": verifying against the system's CAs (no ssl_ca) "
                    + "needs the host name check too; give ssl_ca or leave ssl_check_hostname on")
            }
            tls.verifyChain = chain
            tls.verifyHostName = host
            return tls
        }

        /// Start-up check: every file named can be read (SPEC §5: exit 2 if not).
        public func checkFiles() throws(ConfigurationError) {
            for (key, file) in [("ssl_ca", ca), ("ssl_cert", cert), ("ssl_key", key)] {
                guard let file else { continue }
                guard let bytes = ProcessMetrics.readFile(file), !bytes.isEmpty else {
                    throw ConfigurationError("database URL: cannot read the \(key) file \(file)")
                }
            }
            if let capath {
                guard let directory = opendir(capath) else {
                    throw ConfigurationError("database URL: cannot read the ssl_capath directory \(capath)")
                }
                closedir(directory)
            }
        }
    }

    public static let sqliteSchemes: Set<String> = ["sqlite", "sqlite+pysqlite"]
    public static let mysqlDialects: Set<String> = ["mysql", "mariadb"]

    public init(parsing text: String) throws(ConfigurationError) {
        let shown = Self.redact(text)
        guard let separator = Self.schemeSeparator(in: text) else {
            throw ConfigurationError("database URL \"\(shown)\" is not of the form dialect://…")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = String(text[separator.upperBound...])
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "_" }) else {
            throw ConfigurationError("database URL \"\(shown)\" has a malformed scheme")
        }
        if Self.sqliteSchemes.contains(scheme) {
            self = .sqlite(path: try Self.sqlitePath(rest, shown: shown))
            return
        }
        let dialect = scheme.split(separator: "+", maxSplits: 1).first.map(String.init) ?? scheme
        guard Self.mysqlDialects.contains(dialect) else {
            throw ConfigurationError("database URL \"\(shown)\": unsupported dialect \"\(scheme)\" (use sqlite:////absolute/path/cinder.sqlite or mysql://…)")
        }
        self = .mysql(try Self.mysqlTarget(rest, shown: shown))
    }

    /// `sqlite:////abs/path` → `/abs/path`; `sqlite:///rel` → `rel`.
    private static func sqlitePath(_ rest: String, shown: String) throws(ConfigurationError) -> String {
        let withoutQuery = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard withoutQuery.hasPrefix("/"), withoutQuery.count > 1 else {
            throw ConfigurationError("database URL \"\(shown)\" names no SQLite file (an in-memory database has no services table)")
        }
        return String(withoutQuery.dropFirst())
    }

    private static func mysqlTarget(_ rest: String, shown: String) throws(ConfigurationError) -> MySQLTarget {
        var target = MySQLTarget()
        var remainder = Substring(rest)
        // userinfo: username is [^:/]*, the password runs to the first '@' (SQLAlchemy's pattern).
        if let at = remainder.firstIndex(of: "@") {
            let userinfo = remainder[..<at]
            let userEnd = userinfo.firstIndex(where: { $0 == ":" || $0 == "/" }) ?? userinfo.endIndex
            if userEnd == userinfo.endIndex || userinfo[userEnd] == ":" {
                target.user = try percentDecode(userinfo[..<userEnd], what: "user name", shown: shown)
                if userEnd != userinfo.endIndex {
                    target.password = try percentDecode(userinfo[userinfo.index(after: userEnd)...], what: "password", shown: shown)
                }
                remainder = remainder[remainder.index(after: at)...]
            }
        }
        var query = Substring("")
        if let questionMark = remainder.firstIndex(of: "?") {
            query = remainder[remainder.index(after: questionMark)...]
            remainder = remainder[..<questionMark]
        }
        // `redact` hides everything up to the last '@'. An '@' after the '?'
        // means query text lies in that hidden part (a password holding '/'
        // or '?', say), and no message may echo it: refuse the URL whole
        // (found by the database-url fuzz target: an unknown ssl_ key, echoed,
        // held the password).
        guard !query.unicodeScalars.contains("@") else {
            throw ConfigurationError("database URL \"\(shown)\": an '@' after the '?' (percent-encode '@' in a password or a file name as %40)")
        }
        var hostPort = remainder
        if let slash = remainder.firstIndex(of: "/") {
            hostPort = remainder[..<slash]
            target.database = try percentDecode(remainder[remainder.index(after: slash)...], what: "database name", shown: shown)
        }
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw ConfigurationError("database URL \"\(shown)\": unbalanced brackets around an IPv6 host")
            }
            target.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ConfigurationError("database URL \"\(shown)\": junk after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            target.host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else if !hostPort.isEmpty {
            target.host = String(hostPort)
        }
        if target.host?.isEmpty == true { target.host = nil }
        if let portText {
            guard let port = UInt16(portText), port > 0 else {
                // The port text is not echoed: with a raw '@' in the password it holds
                // part of the password (the URL shown is redacted up to the last '@').
                throw ConfigurationError("database URL \"\(shown)\": the port is not a number from 1 to 65535 (percent-encode '@' in a password as %40)")
            }
            target.port = port
        }
        var tlsOptions: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try percentDecode(parts[0], what: "query key", shown: shown)
            let value = parts.count > 1 ? try percentDecode(parts[1], what: "query value", shown: shown) : ""
            switch key {
            case "unix_socket": target.unixSocket = value
            case _ where MySQLTLS.keys.contains(key): tlsOptions[key] = value
            case _ where key == "ssl" || key.hasPrefix("ssl_"):
                // A TLS option we would ignore could leave credentials in clear.
                throw ConfigurationError("database URL \"\(shown)\": unsupported TLS option \"\(key)\" (supported: \(MySQLTLS.keys.joined(separator: ", ")))")
            // Always read as utf8mb4 whatever the URL says (SPEC §5); the rest are
            // PyMySQL options that change nothing for a read-only SELECT.
            default: break
            }
        }
        target.tls = try MySQLTLS.from(tlsOptions, shown: shown)
        return target
    }

    private static func percentDecode(_ text: Substring, what: String, shown: String) throws(ConfigurationError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw ConfigurationError("database URL \"\(shown)\": bad percent-encoding in the \(what)")
                }
                bytes.append(high << 4 | low)
            } else if byte == UInt8(ascii: "+"), what == "query value" {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The range of the first "://".
    /// Code points, as `redact` searches: a combining mark after the last `/`
    /// must not move the scheme's end past the password.
    static func schemeSeparator(in text: String) -> Range<String.Index>? {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if scalars[index...].starts(with: "://".unicodeScalars) { return index..<scalars.index(index, offsetBy: 3) }
            scalars.formIndex(after: &index)
        }
        return nil
    }

    /// The URL with its password replaced by `***`, safe for logs and errors
    /// even when the URL is malformed: with no `://`, or with an `@`, `/` or
    /// `?` left unencoded in the password, everything from the first `:` of
    /// the user info to the last `@` is hidden.
    /// Searched code point by code point: as a Character, an `@` or `:`
    /// followed by a combining mark is something else, and the password
    /// stayed in view (found by the database-url fuzz target).
    public static func redact(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let start = schemeSeparator(in: text)?.upperBound ?? text.startIndex
        guard let at = scalars[start...].lastIndex(of: "@"),
              let colon = scalars[start..<at].firstIndex(of: ":") else { return text }
        return String(scalars[..<colon]) + ":***" + String(scalars[at...])
    }

    /// Where the exporter reads from, for logs: kind and host, never a password.
    public var logDescription: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .mysql(let target):
            let place = target.unixSocket.map { "unix:\($0)" }
                ?? "\(target.host ?? "localhost")\(target.port.map { ":\($0)" } ?? "")"
            return "mysql:\(target.user.isEmpty ? "" : target.user + "@")\(place)/\(target.database)"
        }
    }
}
