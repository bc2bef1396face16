@testable import CinderExporter
import Foundation
import XCTest

/// TLS to MariaDB as the URL's `ssl_*` options ask for it (SPEC §5), against
/// a real mariadbd with its own test CA and --require-secure-transport=ON:
/// verified by a CA, refused with another CA's certificate or a wrong host
/// name, client certificates, and never plain text.
final class MariaDBTLSTests: XCTestCase {
    var server: MariaDBServer!
    var directory: String!
    var ca: TestCA!
    var foreign: TestCA!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cinder-mariadb-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        ca = try TestCA(name: "ca", in: directory)
        foreign = try TestCA(name: "foreign-ca", in: directory)
        let (cert, key) = try ca.issue("server", altNames: "IP:127.0.0.1,DNS:localhost")
        try ca.issue("client")
        try foreign.issue("foreign-client")
        server = try MariaDBServer(extraArguments: [
            "--ssl-ca=\(ca.certificate)", "--ssl-cert=\(cert)", "--ssl-key=\(key)", "--require-secure-transport=ON",
        ])
        try server.sql("CREATE DATABASE cinder")
        try server.sql("DROP TABLE IF EXISTS services;\n" + MariaDBReaderTests.Fixture.mysqlSchema()
                       + MariaDBReaderTests.Fixture.inserts(MariaDBReaderTests.Fixture.rows, mysql: true), database: "cinder")
        try server.sql("""
            CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'pw';
            GRANT SELECT ON cinder.services TO 'exporter'@'127.0.0.1';
            CREATE USER 'certified'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE X509;
            GRANT SELECT ON cinder.services TO 'certified'@'127.0.0.1';
            """)
    }

    override func tearDown() {
        server?.stop()
        server = nil
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func url(_ query: String) -> String { url("exporter", query) }

    func url(_ user: String, _ query: String) -> String {
        "mysql+pymysql://\(user):pw@127.0.0.1:\(server.port)/cinder?charset=utf8" + (query.isEmpty ? "" : "&" + query)
    }

    /// The rows read, or the error's message.
    func read(_ text: String) throws -> Result<Int, DatabaseError> {
        let reader = ReaderFactory.reader(for: try DatabaseURL(parsing: text), timeoutSeconds: 5)
        do throws(DatabaseError) {
            return .success(try reader.readRows().count)
        } catch {
            return .failure(error)
        }
    }

    func assertRefused(_ text: String, mentioning needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        switch try read(text) {
        case .success: XCTFail("read over an unverifiable connection: \(text)", file: file, line: line)
        case .failure(let error):
            XCTAssertTrue(needles.contains { error.message.contains($0) }, error.message, file: file, line: line)
            XCTAssertFalse(error.message.contains(":pw@"), error.message, file: file, line: line)
        }
    }

    let liveRows = MariaDBReaderTests.Fixture.liveIDs.count

    func testCAVerifiesTheServerAndPlainTextIsNeverUsed() throws {
        // The server refuses plain text: without ssl_* the login fails.
        try assertRefused(url(""), mentioning: ["Access denied", "secure transport"])
        XCTAssertEqual(try read(url("ssl_ca=\(ca.certificate)")).get(), liveRows)
        XCTAssertEqual(try read(url("ssl_ca=\(ca.certificate)&ssl_verify_cert=true&ssl_verify_identity=true")).get(), liveRows)
        XCTAssertEqual(try read(url("ssl_capath=\(directory!)&ssl_ca=\(ca.certificate)")).get(), liveRows)
    }

    func testAnotherCAsCertificateIsRefused() throws {
        try assertRefused(url("ssl_ca=\(foreign.certificate)"), mentioning: ["SSL", "TLS", "certificate"])
        // Without the host name check the chain is still verified.
        try assertRefused(url("ssl_ca=\(foreign.certificate)&ssl_check_hostname=false"), mentioning: ["SSL", "TLS", "certificate"])
        // Verification turned off by the URL: encrypted, not verified, as asked.
        XCTAssertEqual(try read(url("ssl_ca=\(foreign.certificate)&ssl_verify_cert=false")).get(), liveRows)
    }

    func testWrongHostNameIsRefused() throws {
        // The server now shows a certificate of the right CA for another host.
        let (cert, key) = try ca.issue("elsewhere", altNames: "DNS:elsewhere.example")
        try FileManager.default.removeItem(atPath: directory + "/server.pem")
        try FileManager.default.removeItem(atPath: directory + "/server.key")
        try FileManager.default.copyItem(atPath: cert, toPath: directory + "/server.pem")
        try FileManager.default.copyItem(atPath: key, toPath: directory + "/server.key")
        try server.sql("FLUSH SSL")
        try assertRefused(url("ssl_ca=\(ca.certificate)"), mentioning: ["SSL", "TLS", "certificate", "host"])
        try assertRefused(url("ssl_ca=\(ca.certificate)&ssl_verify_identity=true"), mentioning: ["SSL", "TLS", "certificate", "host"])
        // The URL may turn the host name check off: the chain still counts.
        XCTAssertEqual(try read(url("ssl_ca=\(ca.certificate)&ssl_check_hostname=false")).get(), liveRows)
        XCTAssertEqual(try read(url("ssl_ca=\(ca.certificate)&ssl_verify_cert=false")).get(), liveRows)
    }

    /// A server that offers no TLS: libmariadb 3.3 would go on in plain text
    /// when verification is off; the exporter refuses to read over it.
    func testServerWithoutTLSIsRefusedEvenUnverified() throws {
        let plain = try MariaDBServer()
        defer { plain.stop() }
        try plain.sql("CREATE DATABASE cinder")
        try plain.sql(MariaDBReaderTests.Fixture.mysqlSchema(), database: "cinder")
        try plain.sql("CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT SELECT ON cinder.services TO 'exporter'@'127.0.0.1';")
        let base = "mysql://exporter:pw@127.0.0.1:\(plain.port)/cinder"
        XCTAssertEqual(try read(base).get(), 0, "the plain server is readable without TLS")
        try assertRefused(base + "?ssl_ca=\(ca.certificate)&ssl_verify_cert=false", mentioning: ["not encrypted"])
        try assertRefused(base + "?ssl_cipher=ECDHE-ECDSA-AES256-GCM-SHA384", mentioning: ["not encrypted"])
        try assertRefused(base + "?ssl_ca=\(ca.certificate)", mentioning: ["SSL", "TLS"])
    }

    func testClientCertificate() throws {
        try assertRefused(url("certified", "ssl_ca=\(ca.certificate)"), mentioning: ["Access denied"])
        XCTAssertEqual(try read(url("certified", "ssl_ca=\(ca.certificate)&ssl_cert=\(directory!)/client.pem&ssl_key=\(directory!)/client.key")).get(),
                       liveRows)
        try assertRefused(url("certified", "ssl_ca=\(ca.certificate)&ssl_cert=\(directory!)/foreign-client.pem&ssl_key=\(directory!)/foreign-client.key"),
                          mentioning: ["SSL", "TLS", "certificate", "Access denied", "Lost connection"])
    }

    /// Through the binary: TLS works, and a file that cannot be read or an
    /// unknown ssl_* key stops start-up with exit 2 and one line.
    func testCommandLine() throws {
        var result = try ProcessResult.run(TestPaths.exporterBinary, ["metrics", "--database.url", url("ssl_ca=\(ca.certificate)")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\ncinder_exporter_database_up 1\n"))
        for (query, needle) in [("ssl_ca=\(directory!)/missing.pem", "missing.pem"), ("ssl_mode=REQUIRED", "ssl_mode"),
                                ("ssl_ca=\(ca.certificate)&ssl_verify_cert=maybe", "ssl_verify_cert"),
                                ("ssl_capath=\(directory!)/none", "ssl_capath"),
                                ("ssl_cert=\(directory!)/client.pem", "ssl_key")] {
            result = try ProcessResult.run(TestPaths.exporterBinary, ["metrics", "--database.url", url(query)])
            XCTAssertEqual(result.status, 2, "\(query): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), result.stderr)
            XCTAssertFalse(result.stderr.contains(":pw@"), result.stderr)
        }
    }
}
