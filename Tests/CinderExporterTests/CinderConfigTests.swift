@testable import CinderExporter
import Foundation
import XCTest

/// cinder.conf as oslo.config reads it (SPEC §3), and the command-line flags
/// that read it and the password file.
final class CinderConfigTests: XCTestCase {
    func parse(_ text: String) throws(ConfigurationError) -> CinderConfig { try CinderConfig(parsing: text, source: "test.conf") }

    func message(_ text: String) -> String {
        do {
            _ = try parse(text)
            XCTFail("no error for:\n\(text)")
            return ""
        } catch {
            return error.message
        }
    }

    func testTypicalFile() throws {
        let config = try parse("""
            [DEFAULT]
            # Seconds without a heartbeat
            service_down_time = 90
            transport_url = rabbit://openstack:rabbitpw@ctl:5672/
            enabled_backends = lvm

            [database]
            connection = mysql+pymysql://cinder:CINDER_DBPASS@controller/cinder?charset=utf8

            [lvm]
            volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
            """)
        XCTAssertEqual(config, CinderConfig(connection: "mysql+pymysql://cinder:CINDER_DBPASS@controller/cinder?charset=utf8",
                                            serviceDownTime: 90))
    }

    func testNothingSet() throws {
        XCTAssertEqual(try parse(""), CinderConfig())
        XCTAssertEqual(try parse("[DEFAULT]\n[database]\n"), CinderConfig())
    }

    func testColonAssignmentAndFirstSeparatorWins() throws {
        XCTAssertEqual(try parse("[database]\nconnection: sqlite:////var/lib/cinder/cinder.sqlite").connection,
                       "sqlite:////var/lib/cinder/cinder.sqlite")
        // '=' comes before the URL's ':' so it splits there.
        XCTAssertEqual(try parse("[database]\nconnection=mysql://u:p@h/c").connection, "mysql://u:p@h/c")
        XCTAssertEqual(try parse("[database]\nconnection   =   mysql://u:p@h/c   ").connection, "mysql://u:p@h/c")
    }

    func testCommentsAndNoInlineComments() throws {
        let config = try parse("""
            # leading comment
            ; another
            [database]
            #connection = mysql://old:old@old/old
            ;connection = mysql://old:old@old/old
            connection = mysql://cinder:pa#ss;w@db/cinder # not a comment
            """)
        XCTAssertEqual(config.connection, "mysql://cinder:pa#ss;w@db/cinder # not a comment")
    }

    func testContinuationLinesAreJoinedWithNewline() throws {
        let config = try parse("[database]\nconnection = first\n    second\n\tthird\n\n[DEFAULT]\nservice_down_time = 5\n")
        XCTAssertEqual(config.connection, "first\nsecond\nthird")
        XCTAssertEqual(config.serviceDownTime, 5)
        XCTAssertTrue(message("[database]\nconnection = a\n\n   orphan\n").contains("line 4"))
        XCTAssertTrue(message("   orphan\n").contains("continuation"))
    }

    func testSurroundingQuotesAreRemoved() throws {
        XCTAssertEqual(try parse("[database]\nconnection = \"mysql://u:p@h/c\"").connection, "mysql://u:p@h/c")
        XCTAssertEqual(try parse("[database]\nconnection = 'mysql://u:p@h/c'").connection, "mysql://u:p@h/c")
        XCTAssertEqual(try parse("[database]\nconnection = \"mysql://u:p@h/c'").connection, "\"mysql://u:p@h/c'")
    }

    func testSubstitution() throws {
        let config = try parse("""
            [DEFAULT]
            db_host = default-host
            db_user = cinder
            db_pass = s3cret
            service_down_time = ${down}
            down = 75

            [database]
            db_host = database-host
            connection = mysql+pymysql://$db_user:${db_pass}@$db_host/cinder
            """)
        // The same section first, then [DEFAULT].
        XCTAssertEqual(config.connection, "mysql+pymysql://cinder:s3cret@database-host/cinder")
        XCTAssertEqual(config.serviceDownTime, 75)
    }

    func testDollarEscapesAndLiteralDollars() throws {
        XCTAssertEqual(try parse("[database]\nconnection = mysql://u:pa$$word@h/c").connection, "mysql://u:pa$word@h/c")
        XCTAssertEqual(try parse("[database]\nconnection = mysql://u:pa\\$word@h/c").connection, "mysql://u:pa$word@h/c")
        // A '$' that starts no name stays, as safe_substitute leaves it.
        XCTAssertEqual(try parse("[database]\nconnection = mysql://u:p$1$-$@h/c$").connection, "mysql://u:p$1$-$@h/c$")
        XCTAssertEqual(try parse("[database]\nconnection = a${b").connection, "a${b")
    }

    func testGroupQualifiedNamesAndKnownDefaults() throws {
        let config = try parse("""
            [DEFAULT]
            pw = from-default
            [keystone_authtoken]
            password = from-keystone
            [database]
            connection = mysql://a:$keystone_authtoken.password@h/$pw
            """)
        XCTAssertEqual(config.connection, "mysql://a:from-keystone@h/from-default")
        XCTAssertEqual(try parse("[database]\nconnection = sqlite:///$state_path/cinder.sqlite").connection,
                       "sqlite:////var/lib/cinder/cinder.sqlite")
    }

    func testUnknownAndLoopingSubstitutionsFailWithoutShowingValues() {
        let unknown = message("[database]\nconnection = mysql://u:hunter2@$nohost/c")
        XCTAssertTrue(unknown.contains("[database] connection") && unknown.contains("$$"), unknown)
        XCTAssertFalse(unknown.contains("hunter2"), unknown)
        // An unescaped `$` inside a password: no fragment of it is shown.
        let dollar = message("[database]\nconnection = mysql+pymysql://cinder:Sup3r$ecretPw@db/cinder")
        XCTAssertFalse(dollar.contains("ecretPw"), dollar)
        XCTAssertFalse(dollar.contains("Sup3r"), dollar)
        let loop = message("[DEFAULT]\na = $b\nb = ${a}\n[database]\nconnection = $a")
        XCTAssertTrue(loop.contains("itself"), loop)
    }

    func testNoFallbackFromDefaultIntoDatabase() throws {
        let config = try parse("[DEFAULT]\nconnection = mysql://u:p@h/c\n[database]\nmax_pool_size = 5\n")
        XCTAssertNil(config.connection)
        XCTAssertNil(try parse("[DEFAULT]\nconnection = mysql://u:p@h/c\n").connection)
    }

    func testSectionNamesAndRepeatedKeys() throws {
        // Group names are case-insensitive except DEFAULT: [default] is another group.
        let config = try parse("""
            [Database]
            connection = first
            [default]
            service_down_time = 10
            [DATABASE]
            connection = second
            """)
        XCTAssertEqual(config, CinderConfig(connection: "second", serviceDownTime: nil))
        XCTAssertEqual(try parse("[DEFAULT]\nservice_down_time = 10\nservice_down_time = 20").serviceDownTime, 20)
    }

    func testServiceDownTimeMustBeAnInteger() throws {
        XCTAssertEqual(try parse("[DEFAULT]\nservice_down_time =   120  ").serviceDownTime, 120)
        XCTAssertEqual(try parse("[DEFAULT]\nservice_down_time = +30").serviceDownTime, 30)
        for bad in ["60s", "1.5", "", "sixty", "99999999999999999999"] {
            XCTAssertTrue(message("[DEFAULT]\nservice_down_time = \(bad)").contains("service_down_time is not an integer"), bad)
        }
    }

    func testWindowsLineEndingsAndByteOrderMark() throws {
        let config = try parse("\u{FEFF}[DEFAULT]\r\nservice_down_time = 61\r\n\r\n[database]\r\nconnection = mysql://u:p@h/c\r\n")
        XCTAssertEqual(config, CinderConfig(connection: "mysql://u:p@h/c", serviceDownTime: 61))
    }

    func testMalformedLinesNameTheLineButNotItsContent() {
        let cases: [(String, String)] = [
            ("connection = mysql://u:hunter2@h/c", "outside any [section]"),
            ("[database\nconnection = mysql://u:hunter2@h/c", "line 1"),
            ("[]\nconnection = x", "no name"),
            ("[database]\nhunter2 and more", "expected"),
            ("[database]\n= hunter2", "no option name"),
        ]
        for (text, needle) in cases {
            let text = message(text)
            XCTAssertTrue(text.contains(needle), text)
            XCTAssertTrue(text.contains("test.conf"), text)
            XCTAssertFalse(text.contains("hunter2"), "value leaked: \(text)")
        }
    }

    func testLoadReadsAFileAndReportsUnreadableOnes() throws {
        let directory = NSTemporaryDirectory() + "cinder-config-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cinder.conf"
        try "[database]\nconnection = mysql://u:p@h/c\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CinderConfig.load(path: path).connection, "mysql://u:p@h/c")
        for unreadable in [directory + "/missing.conf", directory] {
            XCTAssertThrowsError(try CinderConfig.load(path: unreadable)) { error in
                let text = (error as? ConfigurationError)?.message ?? "\(error)"
                XCTAssertTrue(text.hasPrefix("cannot read cinder config file \(unreadable): "), text)
            }
        }
    }

    // MARK: - the command line

    func testCommandLineReadsTheFileAndFlagsOverrideIt() throws {
        let directory = NSTemporaryDirectory() + "cinder-config-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = directory + "/cinder.sqlite"
        let connection = try SQLiteConnection(path: sqlite, readOnly: false, busyTimeoutMillis: 1000)
        try connection.execute(MariaDBReaderTests.Fixture.sqliteSchema)
        let conf = directory + "/cinder.conf"
        try """
            [DEFAULT]
            state_path = \(directory)
            service_down_time = 120
            [database]
            connection = sqlite:///$state_path/cinder.sqlite
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let binary = TestPaths.exporterBinary
        let environment = ["CINDER_EXPORTER_DATABASE_URL": ""]

        var result = try ProcessResult.run(binary, ["metrics", "--cinder.config-file", conf], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\ncinder_service_down_time_seconds 120\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\ncinder_exporter_database_up 1\n"), result.stdout)

        result = try ProcessResult.run(binary, ["metrics", "--cinder.config-file", conf, "--cinder.service-down-time", "30",
                                                "--database.url", "sqlite:////nonexistent/cinder.sqlite"],
                                       environment: environment)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("\ncinder_service_down_time_seconds 30\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\ncinder_exporter_database_up 0\n"), result.stdout)
    }

    func testCommandLineBadFilesExitTwoWithOneLine() throws {
        let directory = NSTemporaryDirectory() + "cinder-config-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let malformed = directory + "/malformed.conf"
        try "[database]\nconnection = mysql://u:hunter2@h/c\nhunter2\n".write(toFile: malformed, atomically: true, encoding: .utf8)
        let noConnection = directory + "/empty.conf"
        try "[DEFAULT]\nconnection = mysql://u:hunter2@h/c\n".write(toFile: noConnection, atomically: true, encoding: .utf8)
        let badDownTime = directory + "/down.conf"
        try "[DEFAULT]\nservice_down_time = 0\n[database]\nconnection = sqlite:////x\n"
            .write(toFile: badDownTime, atomically: true, encoding: .utf8)
        let password = directory + "/password"
        try "hunter2\n".write(toFile: password, atomically: true, encoding: .utf8)

        let cases: [([String], String)] = [
            (["--cinder.config-file", directory + "/missing.conf"], "cannot read cinder config file"),
            (["--cinder.config-file", directory], "cannot read cinder config file"),
            (["--cinder.config-file", malformed], "line 3"),
            (["--cinder.config-file", noConnection], "has no [database] connection"),
            (["--cinder.config-file", badDownTime], "service_down_time must be a whole number of seconds"),
            (["--database.url", "mysql://u@h/c", "--database.password-file", directory + "/missing"], "cannot read password file"),
            (["--database.url", "sqlite:////x", "--database.password-file", password], "mysql:// URLs only"),
        ]
        for (arguments, needle) in cases {
            let result = try ProcessResult.run(TestPaths.exporterBinary, ["metrics"] + arguments,
                                               environment: ["CINDER_EXPORTER_DATABASE_URL": ""])
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(needle), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("hunter2"), "password leaked: \(result.stderr)")
        }
    }
}
