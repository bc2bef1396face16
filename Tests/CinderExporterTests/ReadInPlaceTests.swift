@testable import CinderExporter
import XCTest

/// Issue 15: each read overwrites the last read's rows in place, so that a
/// steady exporter holds one array of rows, not two. That needs every scrape,
/// streamed or compressed, and the exporter's own bookkeeping to let go of a
/// read's rows once they are done with it.
final class ReadInPlaceTests: XCTestCase {
    /// Notes where the rows array is when each read starts and when it ends.
    final class AddressRecordingReader: ServiceReader {
        let inner: SQLiteReader
        let reads = Lock<[(start: UInt, end: UInt)]>([])
        init(_ inner: SQLiteReader) { self.inner = inner }

        func read(into rows: inout [ServiceRow]) throws(DatabaseError) -> Bool {
            let start = rows.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            let labelsChanged = try inner.read(into: &rows)
            let end = rows.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            reads.withLock { $0.append((start, end)) }
            return labelsChanged
        }

        var description: String { inner.description }
    }

    func testScrapesLetGoOfTheirRowsSoTheNextReadOverwritesThem() throws {
        // Plain scrapes of a small table share a whole render; of a large
        // one, they are streamed: both must let go.
        for largeTableServices in [2_000, 100] {
            try checkReadsInPlace(largeTableServices: largeTableServices)
        }
    }

    func checkReadsInPlace(largeTableServices: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let db = try TestDatabase()
        try db.execute("BEGIN")
        for index in 0..<200 {
            try db.insert(["host": .text("host-\(index)@lvm"), "binary": .text("cinder-volume"), "report_count": .integer(Int64(index))])
        }
        try db.execute("COMMIT")
        let reader = AddressRecordingReader(SQLiteReader(path: db.path, timeoutSeconds: 5))
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 5, reader: reader,
                                          largeTableServices: largeTableServices)
        for headers in [[:], [:], ["Accept-Encoding": "gzip"], [:], ["Accept-Encoding": "gzip"], ["Accept-Encoding": "gzip"], [:]] {
            // The read's own thread lets go of its outcome a moment after the
            // scrape has it: a next read that started within that moment
            // would find the rows still shared (and rightly copy them).
            Thread.sleep(forTimeInterval: 0.02)
            try db.execute("UPDATE services SET report_count = report_count + 1")
            let response = try HTTPTestClient.get(port: fixture.port, "/metrics", headers: headers)
            XCTAssertEqual(response.status, 200, file: file, line: line)
            XCTAssertEqual(response.headers["transfer-encoding"] != nil, largeTableServices < 200 && headers.isEmpty,
                           "streamed only when large and uncompressed", file: file, line: line)
        }
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "1")
        let reads = reader.reads.withLock { $0 }
        XCTAssertEqual(reads.count, 8, file: file, line: line)
        for (index, read) in reads.enumerated().dropFirst() {
            XCTAssertEqual(read.start, reads[index - 1].end, "read \(index + 1) starts from the last read's rows", file: file, line: line)
            XCTAssertEqual(read.end, read.start, "read \(index + 1) overwrote them in place", file: file, line: line)
        }
    }
}
