@testable import CinderExporter
import XCTest

/// Cinder's rule (SPEC §1), edge cases included, on rows built in memory.
final class RuleTests: XCTestCase {
    let now: Int64 = 1_700_000_000_000_000
    let downTime: Int64 = 60_000_000

    func state(_ row: ServiceRow) -> ServiceState {
        ServiceState(row: row, nowMicros: now, downTimeMicros: downTime)
    }

    func testExactlyAtThresholdIsUpAndOneMicrosecondMoreIsDown() {
        XCTAssertTrue(state(ServiceRow(id: 1, updatedAt: .micros(now - downTime))).isUp)
        XCTAssertFalse(state(ServiceRow(id: 1, updatedAt: .micros(now - downTime - 1))).isUp)
        XCTAssertEqual(state(ServiceRow(id: 1, updatedAt: .micros(now - downTime - 1))).heartbeatAgeMicros, downTime + 1)
    }

    func testFutureHeartbeatWithinThresholdIsUpWithNegativeAge() {
        let ahead = state(ServiceRow(id: 1, updatedAt: .micros(now + 30_000_000)))
        XCTAssertTrue(ahead.isUp)
        XCTAssertEqual(ahead.heartbeatAgeMicros, -30_000_000)
        XCTAssertTrue(state(ServiceRow(id: 1, updatedAt: .micros(now + downTime))).isUp)
        XCTAssertFalse(state(ServiceRow(id: 1, updatedAt: .micros(now + downTime + 1))).isUp)
    }

    func testNullUpdatedAtFallsBackToCreatedAt() {
        let fresh = state(ServiceRow(id: 1, createdAt: .micros(now - 5_000_000), updatedAt: .null))
        XCTAssertTrue(fresh.isUp)
        XCTAssertEqual(fresh.heartbeatAgeMicros, 5_000_000)
        XCTAssertFalse(state(ServiceRow(id: 1, createdAt: .micros(now - 61_000_000), updatedAt: .null)).isUp)
    }

    func testUnknownHeartbeatIsDownWithoutAge() {
        let neither = state(ServiceRow(id: 1, createdAt: .null, updatedAt: .null))
        XCTAssertFalse(neither.isUp)
        XCTAssertNil(neither.heartbeatAgeMicros)
        // An unparsable updated_at does not fall back to a fresh created_at.
        let garbage = state(ServiceRow(id: 1, createdAt: .micros(now), updatedAt: .invalid))
        XCTAssertFalse(garbage.isUp)
        XCTAssertNil(garbage.heartbeatAgeMicros)
    }

    func testModifiedAtChangesOnlyTheDisplayedTime() {
        let updated = now - 100_000_000
        let modified = now - 10_000_000
        let row = ServiceRow(id: 1, updatedAt: .micros(updated), modifiedAt: .micros(modified))
        XCTAssertFalse(state(row).isUp)
        XCTAssertEqual(state(row).displayedUpdatedAt(nowMicros: now), modified)
        let older = ServiceRow(id: 1, updatedAt: .micros(modified), modifiedAt: .micros(updated))
        XCTAssertEqual(state(older).displayedUpdatedAt(nowMicros: now), modified)
        // Equal distance: Cinder's `>=` shows modified_at.
        let tie = ServiceRow(id: 1, updatedAt: .micros(now - 5), modifiedAt: .micros(now + 5))
        XCTAssertEqual(state(tie).displayedUpdatedAt(nowMicros: now), now + 5)
        XCTAssertNil(state(ServiceRow(id: 1, createdAt: .micros(now), updatedAt: .null)).displayedUpdatedAt(nowMicros: now))
    }

    func testDuplicatesKeepNewestHeartbeatThenHighestID() {
        let a = ServiceRow(id: 1, host: "h", binary: "cinder-volume", updatedAt: .micros(now - 1))
        let b = ServiceRow(id: 2, host: "h", binary: "cinder-volume", updatedAt: .micros(now - 2))
        let c = ServiceRow(id: 3, host: "h", binary: "cinder-volume", updatedAt: .invalid)
        let snapshot = ServiceSnapshot(rows: [b, c, a], nowMicros: now, downTimeMicros: downTime)
        XCTAssertEqual(snapshot.services.map(\.row.id), [1])
        XCTAssertEqual(Set(snapshot.droppedDuplicates.map(\.id)), [2, 3])

        let tie1 = ServiceRow(id: 7, host: "h", updatedAt: .micros(now))
        let tie2 = ServiceRow(id: 9, host: "h", updatedAt: .micros(now))
        XCTAssertEqual(ServiceSnapshot(rows: [tie2, tie1], nowMicros: now, downTimeMicros: downTime).services.map(\.row.id), [9])
        let unknown1 = ServiceRow(id: 4, host: "u", updatedAt: .invalid)
        let unknown2 = ServiceRow(id: 5, host: "u")
        XCTAssertEqual(ServiceSnapshot(rows: [unknown1, unknown2], nowMicros: now, downTimeMicros: downTime).services.map(\.row.id), [5])
    }

    /// "café" precomposed and decomposed are different bytes, so different
    /// series to Prometheus: both are live services, neither is a duplicate.
    func testLabelsEqualOnlyUnderNormalisationAreDifferentServices() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        XCTAssertEqual(composed, decomposed, "Swift's String equality merges them")
        for (a, b) in [(composed, decomposed), (decomposed, composed)] {
            let rows = [ServiceRow(id: 1, host: a, binary: "cinder-volume", updatedAt: .micros(now)),
                        ServiceRow(id: 2, host: b, binary: "cinder-volume", updatedAt: .micros(now - 1)),
                        ServiceRow(id: 3, host: "x", binary: "cinder-volume", zone: a, updatedAt: .micros(now)),
                        ServiceRow(id: 4, host: "x", binary: "cinder-volume", zone: b, updatedAt: .micros(now))]
            let snapshot = ServiceSnapshot(rows: rows, nowMicros: now, downTimeMicros: downTime)
            XCTAssertEqual(snapshot.services.count, 4)
            XCTAssertTrue(snapshot.droppedDuplicates.isEmpty)
            // Byte order: "cafe\u{301}" (63 61 66 65 …) before "caf\u{E9}" (63 61 66 C3 …).
            XCTAssertEqual(snapshot.services.map { Array($0.row.host.utf8) }.prefix(2),
                           [Array(decomposed.utf8), Array(composed.utf8)])
            XCTAssertEqual(snapshot.services.suffix(2).map { Array($0.row.zone.utf8) },
                           [Array(decomposed.utf8), Array(composed.utf8)])
        }
        // A real duplicate still is one, whatever else is in the table.
        let twice = [ServiceRow(id: 1, host: composed, updatedAt: .micros(now)), ServiceRow(id: 2, host: composed, updatedAt: .micros(now - 1))]
        XCTAssertEqual(ServiceSnapshot(rows: twice, nowMicros: now, downTimeMicros: downTime).droppedDuplicates.map(\.id), [2])
    }

    /// `services --host/--binary` match bytes too.
    func testListingFiltersCompareBytes() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        XCTAssertTrue(ServiceListing.hostMatches(filter: composed, host: composed))
        XCTAssertFalse(ServiceListing.hostMatches(filter: composed, host: decomposed))
        XCTAssertFalse(ServiceListing.hostMatches(filter: composed, host: decomposed + "@lvm"))
        XCTAssertFalse(ServiceListing.hostMatches(filter: composed + "@lvm", host: decomposed + "@lvm#pool"))
        XCTAssertTrue(ServiceListing.hostMatches(filter: composed + "@lvm", host: composed + "@lvm#pool"))
        XCTAssertTrue(ServiceListing.hostMatches(filter: composed, host: composed + "@lvm"))
        let rows = [ServiceRow(id: 1, host: "h", binary: composed, updatedAt: .micros(now)),
                    ServiceRow(id: 2, host: "h", binary: decomposed, updatedAt: .micros(now))]
        XCTAssertEqual(ServiceListing(rows: rows, nowMicros: now, downTimeSeconds: 60, binary: composed).entries.count, 1)
    }

    func testDifferentClusterIsADifferentService() {
        let a = ServiceRow(id: 1, host: "h", binary: "cinder-volume", cluster: "")
        let b = ServiceRow(id: 2, host: "h", binary: "cinder-volume", cluster: "c1")
        let snapshot = ServiceSnapshot(rows: [a, b], nowMicros: now, downTimeMicros: downTime)
        XCTAssertEqual(snapshot.services.count, 2)
        XCTAssertTrue(snapshot.droppedDuplicates.isEmpty)
    }
}

final class StoredTimeTests: XCTestCase {
    func testParsesSecondsAndFractions() {
        XCTAssertEqual(UTCTime.parse(Array("1970-01-01 00:00:00".utf8)), .micros(0))
        XCTAssertEqual(UTCTime.parse(Array("2019-06-14 09:22:23".utf8)), .micros(1_560_504_143_000_000))
        XCTAssertEqual(UTCTime.parse(Array("2019-06-14 09:22:23.5".utf8)), .micros(1_560_504_143_500_000))
        XCTAssertEqual(UTCTime.parse(Array("2019-06-14 09:22:23.000001".utf8)), .micros(1_560_504_143_000_001))
        XCTAssertEqual(UTCTime.parse(Array("2024-02-29 23:59:59.999999".utf8)), .micros(1_709_251_199_999_999))
        XCTAssertEqual(UTCTime.parse(Array("1969-12-31 23:59:59".utf8)), .micros(-1_000_000))
    }

    func testRejectsEverythingElse() {
        for text in ["", "2019-06-14", "2019-06-14T09:22:23", "2019-06-14 09:22:23.", "2019-06-14 09:22:23.1234567",
                     "2019-13-14 09:22:23", "2019-02-29 00:00:00", "0000-00-00 00:00:00", "2019-06-14 24:00:00",
                     "2019-06-14 09:60:00", "2019-06-14 09:22:60", "2019-06-14 09:22:23Z", " 2019-06-14 09:22:23",
                     "2019-06-14 09:22:23+00:00", "yesterday", "2019-06-14 09:22:2x"] {
            XCTAssertEqual(UTCTime.parse(Array(text.utf8)), .invalid, text)
        }
    }

    func testISOStringRoundTrip() {
        XCTAssertEqual(UTCTime.isoString(micros: 1_560_504_143_000_001), "2019-06-14T09:22:23.000001")
        XCTAssertEqual(UTCTime.isoString(micros: -1), "1969-12-31T23:59:59.999999")
    }

    func testIgnoresTimeZone() {
        setenv("TZ", "Asia/Shanghai", 1)
        tzset()
        defer { unsetenv("TZ"); tzset() }
        XCTAssertEqual(UTCTime.parse(Array("1970-01-01 08:00:00".utf8)), .micros(28_800_000_000))
    }
}
