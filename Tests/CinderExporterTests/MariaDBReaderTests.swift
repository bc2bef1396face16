@testable import CinderExporter
import Foundation
import XCTest

/// MariaDBReader against a real throwaway mariadbd (SPEC §5): the same rows as
/// SQLiteReader reads from the same data, utf8mb4 whatever the URL says,
/// timeouts, reconnects, a read-only session and a SELECT-only user. A missing
/// server fails these tests; they never skip.
final class MariaDBReaderTests: XCTestCase {
    var server: MariaDBServer!
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cinder-mariadb-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        server = try MariaDBServer()
        try server.sql("CREATE DATABASE cinder")
    }

    override func tearDown() {
        server?.stop()
        server = nil
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: - fixtures

    /// One set of rows written to both MariaDB and SQLite, as SQL literals so
    /// both hold exactly the same bytes.
    enum Fixture {
        enum Value {
            case null
            case integer(Int64)
            case text(String)
            /// Raw bytes: only for binary columns (VARBINARY) and SQLite blobs.
            case bytes([UInt8])
            case time(String)
        }
        typealias Row = [String: Value]

        /// Seed §3's `desc services`, in order, plus a newer column (`uuid`).
        static let columns = [
            "created_at", "updated_at", "deleted_at", "deleted", "id", "host", "binary", "topic", "report_count",
            "disabled", "availability_zone", "disabled_reason", "modified_at", "rpc_current_version",
            "object_current_version", "replication_status", "frozen", "active_backend_id", "cluster_name", "uuid",
        ]

        /// The column types of seed §3, with the variants the tests need.
        static func mysqlSchema(datetime: String = "datetime", host: String = "varchar(255)",
                                reason: String = "varchar(255)", charset: String = "utf8mb4") -> String {
            """
            CREATE TABLE services (
              created_at \(datetime) DEFAULT NULL, updated_at \(datetime) DEFAULT NULL,
              deleted_at \(datetime) DEFAULT NULL, deleted tinyint(1) DEFAULT NULL,
              id int(11) NOT NULL AUTO_INCREMENT, host \(host) DEFAULT NULL, `binary` varchar(255) DEFAULT NULL,
              topic varchar(255) DEFAULT NULL, report_count int(11) NOT NULL, disabled tinyint(1) DEFAULT NULL,
              availability_zone varchar(255) DEFAULT NULL, disabled_reason \(reason) DEFAULT NULL,
              modified_at \(datetime) DEFAULT NULL, rpc_current_version varchar(36) DEFAULT NULL,
              object_current_version varchar(36) DEFAULT NULL, replication_status varchar(36) DEFAULT NULL,
              frozen tinyint(1) DEFAULT NULL, active_backend_id varchar(255) DEFAULT NULL,
              cluster_name varchar(255) DEFAULT NULL, uuid varchar(36) DEFAULT NULL,
              PRIMARY KEY (id)
            ) ENGINE=InnoDB DEFAULT CHARSET=\(charset);

            """
        }

        static let sqliteSchema = """
            CREATE TABLE services (
              created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
              id INTEGER NOT NULL PRIMARY KEY, host VARCHAR(255), `binary` VARCHAR(255), topic VARCHAR(255),
              report_count INTEGER NOT NULL, disabled BOOLEAN, availability_zone VARCHAR(255),
              disabled_reason VARCHAR(255), modified_at DATETIME, rpc_current_version VARCHAR(36),
              object_current_version VARCHAR(36), replication_status VARCHAR(36), frozen BOOLEAN,
              active_backend_id VARCHAR(255), cluster_name VARCHAR(255), uuid VARCHAR(36)
            );
            """

        static func inserts(_ rows: [Row], mysql: Bool) -> String {
            var sql = mysql ? "SET SESSION sql_mode = '';\n" : ""
            let names = columns.map { "`\($0)`" }.joined(separator: ", ")
            for (index, row) in rows.enumerated() {
                var row = row
                if row["deleted"] == nil { row["deleted"] = .integer(0) }
                if row["report_count"] == nil { row["report_count"] = .integer(0) }
                if row["uuid"] == nil { row["uuid"] = .text("00000000-0000-4000-8000-\(String(100_000_000_000 + index))") }
                let values = columns.map { literal(row[$0] ?? .null, mysql: mysql) }.joined(separator: ", ")
                sql += "INSERT INTO services (\(names)) VALUES (\(values));\n"
            }
            return sql
        }

        static func literal(_ value: Value, mysql: Bool) -> String {
            func hex(_ bytes: [UInt8]) -> String {
                "X'" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                    .joined() + "'"
            }
            switch value {
            case .null: return "NULL"
            case .integer(let number): return String(number)
            case .text(let text): return mysql ? "_utf8mb4 \(hex(Array(text.utf8)))" : "CAST(\(hex(Array(text.utf8))) AS TEXT)"
            case .bytes(let bytes): return hex(bytes)
            case .time(let text): return "'\(text)'"
            }
        }

        /// The odd rows of SPEC §1's table, Cinder's usual rows, and extremes.
        static let rows: [Row] = [
            ["id": .integer(1), "host": .text("ctl1"), "binary": .text("cinder-scheduler"), "topic": .text("cinder-scheduler"),
             "availability_zone": .text("nova"), "created_at": .time("2018-08-16 07:29:20"),
             "updated_at": .time("2019-06-14 09:22:23"), "report_count": .integer(838_433), "disabled": .integer(0),
             "rpc_current_version": .text("3.5"), "object_current_version": .text("1.21"),
             "replication_status": .text("not-capable"), "frozen": .integer(0)],
            ["id": .integer(2), "host": .text("vol😀@lvm#pool"), "binary": .text("cinder-volume"),
             "topic": .text("cinder-volume"), "availability_zone": .text("zone-ü"), "cluster_name": .text("clüster@lvm"),
             "disabled": .integer(1), "disabled_reason": .text("maintenance 🛠 \"quoted\" \\ back\nslash"),
             "frozen": .integer(1), "active_backend_id": .text("secondary"), "replication_status": .text("failed-over"),
             "created_at": .time("2024-05-01 09:00:00"), "updated_at": .time("2024-05-01 10:00:00"),
             "modified_at": .time("2024-05-01 10:00:05"), "report_count": .integer(2_147_483_647)],
            // Every nullable column NULL.
            ["id": .integer(3)],
            // updated_at NULL: created_at decides.
            ["id": .integer(4), "host": .text("created-only"), "created_at": .time("2024-05-01 09:59:00")],
            // A zero date is unknown, with no fallback to created_at.
            ["id": .integer(5), "host": .text("zero-date"), "created_at": .time("2024-05-01 09:59:00"),
             "updated_at": .time("0000-00-00 00:00:00")],
            // Not live: deleted is 1, NULL or anything but 0.
            ["id": .integer(6), "host": .text("deleted"), "deleted": .integer(1), "deleted_at": .time("2024-01-01 00:00:00")],
            ["id": .integer(7), "host": .text("deleted-null"), "deleted": .null],
            ["id": .integer(8), "host": .text("deleted-two"), "deleted": .integer(2)],
            // disabled and frozen: anything but 0 or NULL is true; NUL survives in text.
            ["id": .integer(9), "host": .text("a\u{0}b'c"), "disabled": .integer(2), "frozen": .integer(-1),
             "binary": .text("cinder-backup")],
            ["id": .integer(10), "host": .text("extremes"), "created_at": .time("1000-01-01 00:00:00"),
             "updated_at": .time("9999-12-31 23:59:59"), "modified_at": .time("0000-00-00 00:00:00")],
            ["id": .integer(2_147_483_000), "host": .text("big-id"), "binary": .text("cinder-backup"),
             "report_count": .integer(-5)],
        ]

        static let liveIDs: [Int64] = [1, 2, 3, 4, 5, 9, 10, 2_147_483_000]
    }

    func micros(_ text: String) -> StoredTime { UTCTime.parse(Array(text.utf8)) }

    /// The rows SQLiteReader reads from the same data.
    func sqliteRows(_ rows: [Fixture.Row]) throws -> [ServiceRow] {
        let path = directory + "/cinder-\(UUID().uuidString).sqlite"
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 1000)
        try connection.execute(Fixture.sqliteSchema + Fixture.inserts(rows, mysql: false))
        return try SQLiteReader(path: path, timeoutSeconds: 1).readRows().sorted { $0.id < $1.id }
    }

    func load(_ rows: [Fixture.Row], schema: String = Fixture.mysqlSchema()) throws {
        try server.sql("DROP TABLE IF EXISTS services;\n" + schema + Fixture.inserts(rows, mysql: true), database: "cinder")
    }

    func target(user: String = "root", password: String? = nil) -> DatabaseURL.MySQLTarget {
        DatabaseURL.MySQLTarget(user: user, password: password, host: "127.0.0.1", port: server.port, database: "cinder")
    }

    func reader(_ url: String, timeout: Double = 5) throws -> any ServiceReader {
        ReaderFactory.reader(for: try DatabaseURL(parsing: url), timeoutSeconds: timeout)
    }

    func read(_ reader: any ServiceReader) throws -> [ServiceRow] {
        try reader.readRows().sorted { $0.id < $1.id }
    }

    // MARK: - readings

    func testSeedColumnTypesReadAsSQLiteReads() throws {
        try load(Fixture.rows)
        let rows = try read(MariaDBReader(target: target(), timeoutSeconds: 5))
        XCTAssertEqual(rows.map(\.id), Fixture.liveIDs)
        XCTAssertEqual(rows, try sqliteRows(Fixture.rows))

        // Spot checks, so that both readers cannot be wrong the same way.
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        XCTAssertEqual(byID[1], ServiceRow(
            id: 1, host: "ctl1", binary: "cinder-scheduler", topic: "cinder-scheduler", zone: "nova",
            replicationStatus: "not-capable", rpcVersion: "3.5", objectVersion: "1.21", reportCount: 838_433,
            createdAt: micros("2018-08-16 07:29:20"), updatedAt: micros("2019-06-14 09:22:23")))
        XCTAssertEqual(byID[2]?.host, "vol😀@lvm#pool")
        XCTAssertEqual(byID[2]?.disabledReason, "maintenance 🛠 \"quoted\" \\ back\nslash")
        XCTAssertEqual(byID[2]?.cluster, "clüster@lvm")
        XCTAssertEqual(byID[2]?.disabled, true)
        XCTAssertEqual(byID[2]?.frozen, true)
        XCTAssertEqual(byID[2]?.reportCount, 2_147_483_647)
        XCTAssertEqual(byID[2]?.modifiedAt, micros("2024-05-01 10:00:05"))
        XCTAssertEqual(byID[3], ServiceRow(id: 3, reportCount: 0))
        XCTAssertEqual(byID[4]?.lastHeartbeat, UTCTime.micros(year: 2024, month: 5, day: 1, hour: 9, minute: 59, second: 0, microsecond: 0))
        XCTAssertEqual(byID[5]?.updatedAt, .invalid)
        XCTAssertNil(byID[5]?.lastHeartbeat)
        XCTAssertEqual(byID[9]?.host, "a\u{0}b'c")
        XCTAssertEqual(byID[9]?.disabled, true)
        XCTAssertEqual(byID[9]?.frozen, true)
        XCTAssertEqual(byID[10]?.createdAt, micros("1000-01-01 00:00:00"))
        XCTAssertEqual(byID[10]?.updatedAt, micros("9999-12-31 23:59:59"))
        XCTAssertEqual(byID[10]?.modifiedAt, .invalid)
        XCTAssertEqual(byID[2_147_483_000]?.reportCount, -5)

        // A plain DATETIME drops fractions: MariaDB truncates (SPEC §2).
        try server.sql("UPDATE services SET updated_at = '2024-05-01 10:00:00.987654' WHERE id = 1", database: "cinder")
        let updated = try read(MariaDBReader(target: target(), timeoutSeconds: 5)).first { $0.id == 1 }
        XCTAssertEqual(updated?.updatedAt, micros("2024-05-01 10:00:00"))
    }

    func testFractionalDatetimeReadsAsSQLiteReads() throws {
        var rows = Fixture.rows
        rows.append(["id": .integer(20), "host": .text("fractions"), "created_at": .time("2024-05-01 10:00:00.5"),
                     "updated_at": .time("2024-05-01 10:00:00.123456"), "modified_at": .time("2024-05-01 10:00:00.000001")])
        try load(rows, schema: Fixture.mysqlSchema(datetime: "datetime(6)"))
        let read = try read(MariaDBReader(target: target(), timeoutSeconds: 5))
        XCTAssertEqual(read, try sqliteRows(rows))
        let row = try XCTUnwrap(read.first { $0.id == 20 })
        XCTAssertEqual(row.updatedAt, .micros(UTCTime.micros(year: 2024, month: 5, day: 1, hour: 10, minute: 0, second: 0,
                                                             microsecond: 123_456)!))
        XCTAssertEqual(row.createdAt, micros("2024-05-01 10:00:00.500000"))
        XCTAssertEqual(row.modifiedAt, micros("2024-05-01 10:00:00.000001"))
    }

    func testBinaryAndLongTextColumnsReadByLength() throws {
        let long = String(repeating: "é🙂", count: 2_000)  // 12,000 bytes, past the bound buffer
        let boundary1024 = String(repeating: "x", count: 1_024)
        let boundary1025 = String(repeating: "y", count: 1_025)
        let rows: [Fixture.Row] = [
            ["id": .integer(1), "host": .bytes([0x66, 0xFF, 0x6F, 0x00, 0x62]), "disabled_reason": .text(long)],
            ["id": .integer(2), "host": .bytes(Array("ok-ü".utf8)), "disabled_reason": .text(boundary1024)],
            ["id": .integer(3), "host": .bytes([0xC3]), "disabled_reason": .text(boundary1025)],
            ["id": .integer(4), "host": .null, "disabled_reason": .null],
            ["id": .integer(5), "host": .bytes([]), "disabled_reason": .text("")],
        ]
        try load(rows, schema: Fixture.mysqlSchema(host: "varbinary(255)", reason: "text"))
        let read = try read(MariaDBReader(target: target(), timeoutSeconds: 5))
        XCTAssertEqual(read, try sqliteRows(rows))
        XCTAssertEqual(read.map(\.host), ["f\u{FFFD}o\u{0}b", "ok-ü", "\u{FFFD}", "", ""])
        XCTAssertEqual(read.map(\.disabledReason), [long, boundary1024, boundary1025, "", ""])
    }

    /// A second read reusing the first one's strings (issue 15) still reads
    /// changed bytes afresh, and repairs invalid UTF-8 every time.
    func testReadReusingTheLastRowsReadsChangedBytes() throws {
        try load([["id": .integer(1), "host": .bytes(Array("caf\u{E9}@lvm".utf8)), "topic": .text("cinder-volume")],
                  ["id": .integer(2), "host": .bytes([0x61, 0xFF, 0x62])]],
                 schema: Fixture.mysqlSchema(host: "varbinary(255)", reason: "text"))
        let reader = MariaDBReader(target: target(), timeoutSeconds: 5)
        var rows: [ServiceRow] = []
        XCTAssertTrue(try reader.read(into: &rows))
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("caf\u{E9}@lvm".utf8), Array("a\u{FFFD}b".utf8)])
        // "cafe" + U+0301 + "@lvm"
        try server.sql("UPDATE services SET host = X'63616665CC81406C766D', report_count = 7 WHERE id = 1", database: "cinder")
        XCTAssertTrue(try reader.read(into: &rows), "a host changed")
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("cafe\u{301}@lvm".utf8), Array("a\u{FFFD}b".utf8)],
                       "canonically equal, other bytes: the new bytes come through")
        XCTAssertEqual(rows.map(\.topic), ["cinder-volume", ""])
        XCTAssertEqual(rows.first?.reportCount, 7)
        // Values only, and a repair that comes out the same: no label
        // changed, and the rows were overwritten where they are.
        let before = rows.withUnsafeBufferPointer { $0.baseAddress }
        try server.sql("UPDATE services SET report_count = 8, frozen = 0 WHERE id = 1", database: "cinder")
        XCTAssertFalse(try reader.read(into: &rows), "only values changed")
        XCTAssertEqual(rows.withUnsafeBufferPointer { $0.baseAddress }, before, "read in place, not copied")
        XCTAssertEqual(rows.first?.reportCount, 8)
        try server.sql("UPDATE services SET disabled_reason = REPEAT('x', 2000) WHERE id = 2", database: "cinder")
        XCTAssertTrue(try reader.read(into: &rows), "a long label changed")
        XCTAssertFalse(try reader.read(into: &rows), "the long label is the same since")
        try server.sql("UPDATE services SET frozen = 1 WHERE id = 2", database: "cinder")
        XCTAssertTrue(try reader.read(into: &rows), "frozen is a label")
        try server.sql("DELETE FROM services WHERE id = 1", database: "cinder")
        XCTAssertTrue(try reader.read(into: &rows), "a row went")
        XCTAssertEqual(rows.map(\.id), [2])
        XCTAssertEqual(rows.first?.disabledReason, String(repeating: "x", count: 2000))
    }

    func testCharsetUTF8InTheURLStillReadsEmoji() throws {
        try load(Fixture.rows)
        let url = "mysql+pymysql://root@127.0.0.1:\(server.port)/cinder?charset=utf8"
        let rows = try read(reader(url))
        XCTAssertEqual(rows.first { $0.id == 2 }?.host, "vol😀@lvm#pool")
        XCTAssertEqual(rows, try sqliteRows(Fixture.rows))

        // A utf8mb3 table (Cinder's own charset=utf8 schema) converts to utf8mb4 intact.
        let bmp: [Fixture.Row] = [["id": .integer(1), "host": .text("Zürich 中文 ☃"), "availability_zone": .text("zone-é")]]
        try load(bmp, schema: Fixture.mysqlSchema(charset: "utf8mb3"))
        XCTAssertEqual(try read(reader(url)), try sqliteRows(bmp))
    }

    // MARK: - transports

    func testUnixSocketAndWhatLocalhostMeans() throws {
        try load(Fixture.rows)
        let socket = "mysql://root@localhost/cinder?unix_socket=\(server.socketPath)"
        XCTAssertEqual(try read(reader(socket)).map(\.id), Fixture.liveIDs)
        // unix_socket= wins over a host, as with PyMySQL.
        XCTAssertEqual(try read(reader("mysql://root@db.invalid:1/cinder?unix_socket=\(server.socketPath)")).map(\.id),
                       Fixture.liveIDs)
        // localhost without unix_socket= is libmariadb's default socket, not TCP to our port.
        XCTAssertThrowsError(try reader("mysql://root@localhost:\(server.port)/cinder", timeout: 2).readRows()) { error in
            XCTAssertFalse("\(error)".contains("127.0.0.1"), "\(error)")
        }
        XCTAssertEqual(try read(reader("mysql://root@127.0.0.1:\(server.port)/cinder")).map(\.id), Fixture.liveIDs)
    }

    // MARK: - failures and recovery

    func testKilledServerFailsFastThenTheSameReaderReconnects() throws {
        try load(Fixture.rows)
        let reader = MariaDBReader(target: target(), timeoutSeconds: 2)
        let before = try read(reader)
        XCTAssertEqual(before.map(\.id), Fixture.liveIDs)

        server.kill()
        for _ in 0..<2 {
            let started = Date()
            XCTAssertThrowsError(try reader.readRows()) { error in
                XCTAssertTrue(error is DatabaseError, "\(error)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        }

        try server.start()
        XCTAssertEqual(try read(reader), before)
        try server.sql("UPDATE services SET report_count = 42 WHERE id = 1", database: "cinder")
        XCTAssertEqual(try read(reader).first?.reportCount, 42)
    }

    func testHungServerFailsWithinTheTimeoutThenRecovers() throws {
        try load(Fixture.rows)
        let reader = MariaDBReader(target: target(), timeoutSeconds: 2)
        XCTAssertEqual(try read(reader).map(\.id), Fixture.liveIDs)

        server.pause(true)
        defer { server.pause(false) }
        // First the open connection's read times out, then a new connect does.
        for what in ["read", "connect"] {
            let started = Date()
            XCTAssertThrowsError(try reader.readRows(), what) { error in
                XCTAssertTrue(error is DatabaseError, "\(error)")
            }
            let elapsed = Date().timeIntervalSince(started)
            XCTAssertGreaterThan(elapsed, 1.5, what)
            XCTAssertLessThan(elapsed, 4.5, what)
        }
        server.pause(false)
        XCTAssertEqual(try read(reader).map(\.id), Fixture.liveIDs)
    }

    func testMissingTableFailsThenRecovers() throws {
        let reader = MariaDBReader(target: target(), timeoutSeconds: 5)
        XCTAssertThrowsError(try reader.readRows()) { error in
            XCTAssertTrue("\(error)".contains("doesn't exist"), "\(error)")
        }
        try load(Fixture.rows)
        XCTAssertEqual(try read(reader).map(\.id), Fixture.liveIDs)
        try server.sql("DROP TABLE services", database: "cinder")
        XCTAssertThrowsError(try reader.readRows())
        try load(Fixture.rows)
        XCTAssertEqual(try read(reader).map(\.id), Fixture.liveIDs)
    }

    func testWrongPasswordFailsWithoutShowingIt() throws {
        try load(Fixture.rows)
        try server.sql("CREATE USER 'cinder'@'127.0.0.1' IDENTIFIED BY 'right-one'; GRANT SELECT ON cinder.services TO 'cinder'@'127.0.0.1';")
        let reader = MariaDBReader(target: target(user: "cinder", password: "hunter2-Wrong"), timeoutSeconds: 5)
        XCTAssertThrowsError(try reader.readRows()) { error in
            let message = (error as? DatabaseError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("Access denied"), message)
            XCTAssertFalse(message.contains("hunter2"), message)
        }
        XCTAssertFalse(reader.description.contains("hunter2"))
        XCTAssertEqual(MariaDBReader.redact("x hunter2 y", password: "hunter2"), "x *** y")
    }

    // MARK: - read only

    func testSessionRefusesWritesEvenForRoot() throws {
        try load(Fixture.rows)
        let reader = MariaDBReader(target: target(), timeoutSeconds: 5)
        XCTAssertEqual(try read(reader).count, Fixture.liveIDs.count)
        for statement in ["INSERT INTO services (report_count, deleted) VALUES (1, 0)",
                          "UPDATE services SET report_count = 0", "DELETE FROM services"] {
            XCTAssertThrowsError(try reader.executeForTesting(statement), statement) { error in
                XCTAssertTrue("\(error)".contains("READ ONLY"), "\(error)")
            }
        }
        XCTAssertEqual(try server.sql("SELECT COUNT(*), SUM(report_count) FROM services", database: "cinder"),
                       "11\t2148322075\n")
    }

    func testOnePreparedStatementAndNoWrites() throws {
        try load(Fixture.rows)
        let counters = ["Com_stmt_prepare", "Com_stmt_execute", "Com_insert", "Com_insert_select", "Com_update",
                        "Com_update_multi", "Com_delete", "Com_delete_multi", "Com_replace", "Com_create_table",
                        "Com_drop_table", "Com_alter_table", "Com_truncate", "Com_load", "Com_lock_tables"]
        func snapshot() throws -> [String: Int] {
            let list = counters.map { "'\($0)'" }.joined(separator: ",")
            let output = try server.sql("SHOW GLOBAL STATUS WHERE Variable_name IN (\(list))")
            var values: [String: Int] = [:]
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: "\t")
                if parts.count == 2 { values[String(parts[0])] = Int(parts[1]) }
            }
            return values
        }
        let before = try snapshot()
        let reader = MariaDBReader(target: target(), timeoutSeconds: 5)
        for _ in 0..<5 { _ = try reader.readRows() }
        let after = try snapshot()
        XCTAssertEqual(after["Com_stmt_prepare"]! - before["Com_stmt_prepare"]!, 1)
        XCTAssertEqual(after["Com_stmt_execute"]! - before["Com_stmt_execute"]!, 5)
        for counter in counters.dropFirst(2) {
            XCTAssertEqual(after[counter], before[counter], counter)
        }
    }

    func testSelectOnlyUserOverTCPAndSocket() throws {
        try load(Fixture.rows)
        try server.sql("""
            CREATE USER 'exporter'@'localhost' IDENTIFIED BY 'p@ss:w/rd#$%';
            CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'p@ss:w/rd#$%';
            GRANT SELECT ON cinder.services TO 'exporter'@'localhost';
            GRANT SELECT ON cinder.services TO 'exporter'@'127.0.0.1';
            """)
        let password = "p%40ss%3Aw%2Frd%23%24%25"
        let expected = try sqliteRows(Fixture.rows)
        XCTAssertEqual(try read(reader("mysql+pymysql://exporter:\(password)@127.0.0.1:\(server.port)/cinder?charset=utf8")),
                       expected)
        XCTAssertEqual(try read(reader("mysql://exporter:\(password)@localhost/cinder?unix_socket=\(server.socketPath)")),
                       expected)
    }

    // MARK: - the command line

    func testCommandLineWithCinderConfAndPasswordFile() throws {
        try load(Fixture.rows)
        try server.sql("""
            CREATE USER 'exporter'@'127.0.0.1' IDENTIFIED BY 'p@ss:w/rd#$%';
            GRANT SELECT ON cinder.services TO 'exporter'@'127.0.0.1';
            """)
        let conf = directory + "/cinder.conf"
        try """
            [DEFAULT]
            service_down_time = 45
            db_host = 127.0.0.1

            [database]
            connection = mysql+pymysql://exporter:not-the-password@${db_host}:\(server.port)/cinder?charset=utf8
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let passwordFile = directory + "/password"
        try "p@ss:w/rd#$%\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let environment = ["CINDER_EXPORTER_DATABASE_URL": ""]

        var result = try ProcessResult.run(TestPaths.exporterBinary, [
            "metrics", "--cinder.config-file", conf, "--database.password-file", passwordFile,
        ], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\ncinder_exporter_database_up 1\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\ncinder_service_down_time_seconds 45\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("host=\"vol😀@lvm#pool\""), result.stdout)

        // Without the password file the URL's own (wrong) password is used: exit 1, one line, no password.
        result = try ProcessResult.run(TestPaths.exporterBinary, ["metrics", "--cinder.config-file", conf],
                                       environment: environment)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("\ncinder_exporter_database_up 0\n"), result.stdout)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("Access denied"), result.stderr)
        XCTAssertFalse(result.stderr.contains("not-the-password"), result.stderr)
    }
}
