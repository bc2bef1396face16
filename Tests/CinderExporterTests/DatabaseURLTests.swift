@testable import CinderExporter
import XCTest

/// Every form of cinder.conf's `[database] connection` (SPEC §3, §5).
final class DatabaseURLTests: XCTestCase {
    func mysql(_ text: String) throws -> DatabaseURL.MySQLTarget {
        guard case .mysql(let target) = try DatabaseURL(parsing: text) else {
            XCTFail("\(text) is not a MySQL URL")
            return DatabaseURL.MySQLTarget()
        }
        return target
    }

    func testPyMySQLWithPortAndCharset() throws {
        XCTAssertEqual(try mysql("mysql+pymysql://cinder:s3cret@db.example.org:3306/cinder?charset=utf8"),
                       DatabaseURL.MySQLTarget(user: "cinder", password: "s3cret", host: "db.example.org", port: 3306,
                                               database: "cinder"))
    }

    func testPlainMySQLAndMySQLdbAndMariaDBDialects() throws {
        let expected = DatabaseURL.MySQLTarget(user: "cinder", password: "pw", host: "10.0.0.5", database: "cinder")
        XCTAssertEqual(try mysql("mysql://cinder:pw@10.0.0.5/cinder"), expected)
        XCTAssertEqual(try mysql("mysql+mysqldb://cinder:pw@10.0.0.5/cinder"), expected)
        XCTAssertEqual(try mysql("MySQL+PyMySQL://cinder:pw@10.0.0.5/cinder"), expected)
        XCTAssertEqual(try mysql("mariadb+pymysql://cinder:pw@10.0.0.5/cinder"), expected)
    }

    func testUnixSocketQuery() throws {
        let target = try mysql("mysql+pymysql://cinder:pw@/cinder?charset=utf8&unix_socket=/run/mysqld/mysqld.sock")
        XCTAssertEqual(target, DatabaseURL.MySQLTarget(user: "cinder", password: "pw", host: nil, database: "cinder",
                                                       unixSocket: "/run/mysqld/mysqld.sock"))
        XCTAssertEqual(try mysql("mysql://cinder:pw@localhost/cinder?unix_socket=%2Ftmp%2Fmy%20sock").unixSocket, "/tmp/my sock")
        XCTAssertEqual(DatabaseURL.mysql(target).logDescription, "mysql:cinder@unix:/run/mysqld/mysqld.sock/cinder")
    }

    func testLocalhostAndNoHost() throws {
        XCTAssertEqual(try mysql("mysql://cinder:pw@localhost/cinder").host, "localhost")
        XCTAssertNil(try mysql("mysql://cinder:pw@/cinder").host)
        XCTAssertNil(try mysql("mysql://cinder:pw@/cinder").port)
    }

    func testPercentEncodedCredentials() throws {
        let target = try mysql("mysql+pymysql://cin%40der:p%40ss%3Aw%2Frd%25%23%3F@db/cinder")
        XCTAssertEqual(target.user, "cin@der")
        XCTAssertEqual(target.password, "p@ss:w/rd%#?")
        XCTAssertEqual(target.host, "db")
        // A literal '$' (oslo.config's $$) and '+' stay as they are in the password.
        XCTAssertEqual(try mysql("mysql://u:pa$s+w@db/cinder").password, "pa$s+w")
    }

    func testUserWithoutPassword() throws {
        let target = try mysql("mysql://cinder@db:3307/cinder")
        XCTAssertEqual(target.user, "cinder")
        XCTAssertNil(target.password)
        XCTAssertEqual(target.port, 3307)
    }

    func testIPv6Host() throws {
        XCTAssertEqual(try mysql("mysql+pymysql://cinder:pw@[::1]:3306/cinder"),
                       DatabaseURL.MySQLTarget(user: "cinder", password: "pw", host: "::1", port: 3306, database: "cinder"))
        XCTAssertEqual(try mysql("mysql://cinder:pw@[fd00::5]/cinder").host, "fd00::5")
    }

    func testSQLitePaths() throws {
        XCTAssertEqual(try DatabaseURL(parsing: "sqlite:////var/lib/cinder/cinder.sqlite"),
                       .sqlite(path: "/var/lib/cinder/cinder.sqlite"))
        XCTAssertEqual(try DatabaseURL(parsing: "sqlite:///cinder.sqlite"), .sqlite(path: "cinder.sqlite"))
        XCTAssertEqual(try DatabaseURL(parsing: "sqlite:////tmp/c.sqlite?timeout=5"), .sqlite(path: "/tmp/c.sqlite"))
    }

    func testMalformedURLsFailWithoutShowingThePassword() {
        let cases: [(String, String)] = [
            ("postgresql://cinder:hunter2@db/cinder", "unsupported dialect"),
            ("oracle+cx://cinder:hunter2@db/cinder", "unsupported dialect"),
            ("mysql://cinder:hunter2@db:99999/cinder", "port"),
            ("mysql://cinder:hunter2@db:0/cinder", "port"),
            ("mysql://cinder:hunter2@db:abc/cinder", "port"),
            ("mysql://cinder:hunter2@[::1/cinder", "brackets"),
            ("mysql://cinder:hunter2@[::1]x/cinder", "IPv6"),
            ("mysql://cinder:hunter2%zz@db/cinder", "percent-encoding"),
            ("my sql://cinder:hunter2@db/cinder", "scheme"),
            ("cinder:hunter2@db/cinder", "dialect://"),
            ("sqlite://", "no SQLite file"),
            ("sqlite:///", "no SQLite file"),
        ]
        for (text, needle) in cases {
            XCTAssertThrowsError(try DatabaseURL(parsing: text), text) { error in
                let message = (error as? ConfigurationError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains(needle), "\(text): \(message)")
                XCTAssertFalse(message.contains("hunter2"), "password leaked: \(message)")
            }
        }
    }

    func testRedactAndLogDescriptionNeverShowThePassword() throws {
        XCTAssertEqual(DatabaseURL.redact("mysql+pymysql://cinder:hunter2@db:3306/cinder"),
                       "mysql+pymysql://cinder:***@db:3306/cinder")
        XCTAssertEqual(DatabaseURL.redact("sqlite:////x"), "sqlite:////x")
        XCTAssertEqual(DatabaseURL.redact("mysql://cinder@db/cinder"), "mysql://cinder@db/cinder")
        XCTAssertEqual(DatabaseURL.redact("cinder:hunter2@db/cinder"), "cinder:***@db/cinder")
        XCTAssertEqual(DatabaseURL.redact("mysql://cinder:hun@t/er?2@db/cinder"), "mysql://cinder:***@db/cinder")
        let url = try DatabaseURL(parsing: "mysql://cinder:hunter2@[::1]:3306/cinder")
        XCTAssertEqual(url.logDescription, "mysql:cinder@::1:3306/cinder")
        XCTAssertFalse(MariaDBReader(target: try mysql("mysql://cinder:hunter2@db/cinder"), timeoutSeconds: 1)
            .description.contains("hunter2"))
    }

    func testReaderFactoryPicksTheReader() throws {
        XCTAssertTrue(ReaderFactory.reader(for: .sqlite(path: "/x"), timeoutSeconds: 1) is SQLiteReader)
        XCTAssertTrue(ReaderFactory.reader(for: try DatabaseURL(parsing: "mysql://u@h/c"), timeoutSeconds: 1) is MariaDBReader)
    }

    /// A raw '@' in the password makes the URL malformed; the error shows no fragment of it.
    func testRawAtSignInPasswordDoesNotLeak() {
        do {
            _ = try DatabaseURL(parsing: "mysql+pymysql://cinder:p@ss:w0rd@127.0.0.1:1/cinder")
            XCTFail("expected an error")
        } catch {
            XCTAssertFalse(error.message.contains("w0rd"), error.message)
            XCTAssertFalse(error.message.contains("ss:"), error.message)
            XCTAssertTrue(error.message.contains("%40"), error.message)
        }
    }

    /// SPEC §5's ssl_* options, PyMySQL's rules: a CA means verified chain
    /// and host name unless the URL turns either off.
    func testTLSOptions() throws {
        func tls(_ query: String) throws -> DatabaseURL.MySQLTLS? {
            guard case .mysql(let target) = try DatabaseURL(parsing: "mysql+pymysql://u:p@db:3306/cinder?charset=utf8&" + query) else {
                XCTFail("not mysql")
                return nil
            }
            return target.tls
        }
        XCTAssertNil(try tls("read_timeout=5"))
        XCTAssertEqual(try tls("ssl_ca=/etc/ca.pem"), .init(ca: "/etc/ca.pem", verifyChain: true, verifyHostName: true))
        XCTAssertEqual(try tls("ssl_ca=/etc/ca.pem&ssl_verify_cert=false"),
                       .init(ca: "/etc/ca.pem", verifyChain: false, verifyHostName: false))
        XCTAssertEqual(try tls("ssl_ca=/etc/ca.pem&ssl_check_hostname=false"),
                       .init(ca: "/etc/ca.pem", verifyChain: true, verifyHostName: false))
        XCTAssertEqual(try tls("ssl_capath=/etc/ssl/certs&ssl_verify_identity=0"),
                       .init(capath: "/etc/ssl/certs", verifyChain: true, verifyHostName: false))
        XCTAssertEqual(try tls("ssl_cert=/c.pem&ssl_key=/k.pem&ssl_cipher=ECDHE-RSA-AES256-GCM-SHA384"),
                       .init(cert: "/c.pem", key: "/k.pem", cipher: "ECDHE-RSA-AES256-GCM-SHA384", verifyChain: false, verifyHostName: false))
        XCTAssertEqual(try tls("ssl_verify_cert=true"), .init(verifyChain: true, verifyHostName: true))
        XCTAssertEqual(try tls("ssl_verify_identity=yes"), .init(verifyChain: true, verifyHostName: true))
        XCTAssertNil(try tls("ssl_ca=/etc/ca.pem&ssl_disabled=true"))
        XCTAssertNil(try tls("ssl_disabled=false"))
        for (query, needle) in [("ssl_mode=REQUIRED", "ssl_mode"), ("ssl=true", "\"ssl\""), ("ssl_verify_cert=maybe", "maybe"),
                                ("ssl_cert=/c.pem", "ssl_key"), ("ssl_key=/k.pem", "ssl_cert"), ("ssl_ca=", "ssl_ca"),
                                ("ssl_verify_cert=true&ssl_check_hostname=false", "ssl_check_hostname")] {
            XCTAssertThrowsError(try tls(query), query) { error in
                let message = (error as? ConfigurationError)?.message ?? ""
                XCTAssertTrue(message.contains(needle), "\(query): \(message)")
                XCTAssertFalse(message.contains("u:p@"), message)
            }
        }
    }
}
