@testable import CinderExporter
import Foundation
import XCTest

/// The landing page as someone on call sees it (SPEC §4): headless Chromium
/// loads it over HTTP; down services come first, whole rows are marked, the
/// read time is there, it refreshes by itself, database text is escaped, and
/// it stays quick at 2,000 services. Screenshots go to a folder the test removes.
final class LandingPageTests: XCTestCase {
    private var chromium: String!
    private var profile: String!

    override func setUpWithError() throws {
        chromium = try Tools.require("chromium")
        profile = try Tools.temporaryDirectory(removedAfter: self)
    }

    /// Chromium with its own profile and temporary folder (nothing left in /tmp).
    private func runChromium(_ arguments: [String]) throws -> ProcessResult {
        try ProcessResult.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile!)/profile"] + arguments,
                              environment: ["TMPDIR": profile, "HOME": profile])
    }

    private func dom(_ url: String) throws -> String {
        let dump = try runChromium(["--dump-dom", url])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        return dump.stdout
    }

    /// Takes a screenshot and returns how many pixels have each of `colours` (RGB).
    private func screenshot(_ url: String, name: String, colours: [String: [UInt8]]) throws -> [String: Int] {
        let png = profile + "/" + name + ".png"
        let shot = try runChromium(["--window-size=1400,900", "--hide-scrollbars", "--screenshot=\(png)", url])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4e, 0x47], "a PNG")
        let counted = try Tools.runPython(Self.pixelCounter, [png] + colours.keys.sorted().map { "\($0)=\(colours[$0]!.map(String.init).joined(separator: ","))" })
        var counts: [String: Int] = [:]
        for line in counted.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    /// Decodes an 8-bit RGB/RGBA PNG with zlib alone and counts exact colours.
    private static let pixelCounter = """
        import struct, sys, zlib
        data = open(sys.argv[1], "rb").read()
        pos, idat = 8, b""
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
        assert depth == 8 and colour in (2, 6), (depth, colour)
        bpp = 3 if colour == 2 else 4
        raw, stride = zlib.decompress(idat), width * bpp
        previous, rows, i = bytearray(stride), [], 0
        for _ in range(height):
            kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
            i += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = previous[x]
                c = previous[x - bpp] if x >= bpp else 0
                if kind == 1: line[x] = (line[x] + a) & 255
                elif kind == 2: line[x] = (line[x] + b) & 255
                elif kind == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(bytes(line))
            previous = line
        wanted = {}
        for spec in sys.argv[2:]:
            name, rgb = spec.split("=")
            wanted[bytes(int(v) for v in rgb.split(","))] = name
        counts = dict.fromkeys(wanted.values(), 0)
        for line in rows:
            for x in range(0, stride, bpp):
                name = wanted.get(line[x:x + 3])
                if name: counts[name] += 1
        for name, count in sorted(counts.items()):
            print(name, count)
        """

    /// The `class` of every service row, in page order, with its host.
    private func rows(_ dom: String) -> [(mark: String, host: String)] {
        var found: [(String, String)] = []
        var rest = Substring(dom)
        while let start = rest.range(of: "<tr class=\"") {
            let afterClass = rest[start.upperBound...]
            guard let quote = afterClass.firstIndex(of: "\"") else { break }
            let mark = String(afterClass[..<quote])
            let rowText = afterClass[..<(afterClass.range(of: "</tr>")?.lowerBound ?? afterClass.endIndex)]
            // State, status, binary, host: the host is the fourth cell.
            let cells = rowText.components(separatedBy: "<td").prefix(5)
            let host = cells.count == 5 ? cells[4].drop { $0 != ">" }.dropFirst().prefix { $0 != "<" } : ""
            found.append((mark, String(host)))
            rest = afterClass
        }
        return found
    }

    private func insert(_ db: TestDatabase, host: String, binary: String = "cinder-volume", ageSeconds: Double?,
                        disabled: Bool = false, reason: String? = nil, reports: Int64 = 0, now: Int64) throws {
        var columns: [String: SQLiteStatement.Value] = [
            "host": .text(host), "binary": .text(binary), "availability_zone": .text("nova"),
            "disabled": .integer(disabled ? 1 : 0), "report_count": .integer(reports),
        ]
        if let ageSeconds { columns["updated_at"] = .text(TestDatabase.text(now - Int64(ageSeconds * 1e6))) }
        if let reason { columns["disabled_reason"] = .text(reason) }
        try db.insert(columns)
    }

    func testTenServicesReadAsAnOnCallView() throws {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        // Ages are far from the marks' edges so the page's own clock reading cannot move a row.
        try insert(db, host: "alive@lvm", ageSeconds: 2, reports: 1_234_567, now: now)
        try insert(db, host: "late@lvm", ageSeconds: 50, now: now)
        try insert(db, host: "dead@ceph", ageSeconds: 600, now: now)
        try insert(db, host: "never@ceph", ageSeconds: nil, now: now)
        try insert(db, host: "resting@nfs", ageSeconds: 3600, disabled: true, reason: "maintenance", now: now)
        try insert(db, host: "evil@nfs", ageSeconds: 3, disabled: true, reason: "<script>alert(1)</script> & co", now: now)
        try insert(db, host: "ahead@lvm", ageSeconds: -20, now: now)
        try insert(db, host: "ctl-1", binary: "cinder-scheduler", ageSeconds: 5, now: now)
        try insert(db, host: "ctl-2", binary: "cinder-scheduler", ageSeconds: 8, now: now)
        try insert(db, host: "ctl-1", binary: "cinder-backup", ageSeconds: 1, now: now)
        let fixture = try ExporterFixture(databasePath: db.path)
        let url = "http://127.0.0.1:\(fixture.port)/"
        let dom = try dom(url)

        let marks = rows(dom)
        XCTAssertEqual(marks.count, 10, dom)
        XCTAssertEqual(marks.prefix(5).map(\.mark), ["down", "down", "down disabled", "near", "up disabled"], "\(marks)")
        XCTAssertEqual(Set(marks.prefix(2).map(\.host)), ["dead@ceph", "never@ceph"], "enabled down services first")
        XCTAssertEqual(marks[2].host, "resting@nfs")
        XCTAssertEqual(marks[3].host, "late@lvm", "50 s of 60 is above 75%")
        XCTAssertEqual(Set(marks.dropFirst(5).map(\.mark)), ["up"])
        XCTAssertTrue(dom.contains("2 enabled services down."), dom)
        XCTAssertTrue(dom.contains("10 services: 7 up, 3 down (2 enabled, 1 disabled), 2 disabled in all, 1 near the threshold."), dom)

        // The UTC time of the read, ISO 8601 to the second, close to now.
        let readAt = try XCTUnwrap(dom.range(of: #"datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""#, options: .regularExpression))
        let stamp = String(dom[readAt].dropFirst("datetime=\"".count).dropLast())
        let parsed = try XCTUnwrap(ISO8601DateFormatter().date(from: stamp))
        XCTAssertLessThan(abs(parsed.timeIntervalSinceNow), 10, stamp)
        XCTAssertTrue(dom.contains("<meta http-equiv=\"refresh\" content=\"5\">"), "refreshes by itself")
        XCTAssertFalse(dom.contains("<script"), "no scripts at all")
        XCTAssertNil(dom.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression), "nothing external")

        // Numbers: grouped counts, seconds with one decimal, longer ages in two units.
        XCTAssertTrue(dom.contains(">1,234,567<"), "report count grouped")
        XCTAssertNotNil(dom.range(of: #">-\d+\.\d s<"#, options: .regularExpression), "a clock ahead shows a negative age")
        XCTAssertNotNil(dom.range(of: #">10m 0\ds<"#, options: .regularExpression))
        XCTAssertNotNil(dom.range(of: #">1h 00m<"#, options: .regularExpression))
        XCTAssertTrue(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), "database text is escaped")
        XCTAssertTrue(dom.contains("href=\"/metrics\""))

        // What a person sees: whole rows tinted, the down state cells solid red.
        let pixels = try screenshot(url, name: "ten", colours: [
            "downRow": [0xfb, 0xd3, 0xd3], "downCell": [0xd3, 0x2f, 0x2f], "nearRow": [0xff, 0xf1, 0xc2], "disabledRow": [0xec, 0xef, 0xf1],
        ])
        for (name, minimum) in ["downRow": 20_000, "downCell": 2_000, "nearRow": 10_000, "disabledRow": 20_000] {
            XCTAssertGreaterThan(pixels[name] ?? 0, minimum, "\(name): \(pixels)")
        }
    }

    func testTwoThousandServicesStayQuickAndOrdered() throws {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.execute("BEGIN")
        for index in 0..<2000 {
            let age: Double = index % 97 == 5 ? 600 : index % 131 == 7 ? 50 : Double(index % 20)
            try insert(db, host: "storage-\(index)@ceph", binary: ["cinder-volume", "cinder-scheduler", "cinder-backup"][index % 3],
                       ageSeconds: age, disabled: index % 53 == 3, reason: index % 53 == 3 ? "maintenance <\(index)>" : nil,
                       reports: Int64(index) * 1000, now: now)
        }
        try db.execute("COMMIT")
        let fixture = try ExporterFixture(databasePath: db.path)
        let url = "http://127.0.0.1:\(fixture.port)/"
        let started = Date()
        let response = try HTTPTestClient.get(port: fixture.port, "/")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 200)
        XCTAssertLessThan(seconds, 2, "read and render of 2,000 services (debug build)")

        let dom = try dom(url)
        let marks = rows(dom)
        XCTAssertEqual(marks.count, 2000)
        let order = ["down", "down disabled", "near", "up disabled", "up"]
        let ranks = marks.map { order.firstIndex(of: $0.mark) ?? -1 }
        XCTAssertFalse(ranks.contains(-1))
        XCTAssertEqual(ranks, ranks.sorted(), "down first, then near, then the rest")
        let downHosts = marks.filter { $0.mark == "down" }.count
        XCTAssertEqual(downHosts, (0..<2000).filter { $0 % 97 == 5 && $0 % 53 != 3 }.count)
        XCTAssertTrue(dom.contains("2,000 services: "), "grouped count")
        XCTAssertTrue(dom.contains("maintenance &lt;3&gt;"), "escaped")

        let pixels = try screenshot(url, name: "two-thousand", colours: ["downRow": [0xfb, 0xd3, 0xd3], "downCell": [0xd3, 0x2f, 0x2f]])
        XCTAssertGreaterThan(pixels["downRow"] ?? 0, 100_000, "the first screen is the down services: \(pixels)")
        XCTAssertGreaterThan(pixels["downCell"] ?? 0, 10_000, "\(pixels)")
    }

    /// A failed read is a sentence: no database error text (it names users and hosts).
    func testFailedReadSaysSoWithoutTheErrorText() throws {
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let fixture = try ExporterFixture(databasePath: directory + "/db-host-secretname/cinder.sqlite")
        let response = try HTTPTestClient.get(port: fixture.port, "/")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.text.contains("The services table could not be read"), response.text)
        XCTAssertTrue(response.text.contains("The reason is in the exporter's log"))
        XCTAssertFalse(response.text.contains("secretname"), "no error text on the page")
        XCTAssertFalse(response.text.contains("No such file"))
        XCTAssertNotNil(response.text.range(of: #"datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""#, options: .regularExpression))
        XCTAssertFalse(response.text.contains("<table"), "no service table when nothing was read")
    }

    func testMarksAndNumberFormats() {
        let now: Int64 = 1_700_000_000_000_000, downTime: Int64 = 60_000_000
        func mark(_ age: Int64, disabled: Bool = false) -> LandingPage.Mark {
            LandingPage.mark(ServiceState(row: ServiceRow(id: 1, disabled: disabled, updatedAt: .micros(now - age)),
                                          nowMicros: now, downTimeMicros: downTime), downTimeMicros: downTime)
        }
        XCTAssertEqual(mark(45_000_000), .up, "exactly 75% is not above it")
        XCTAssertEqual(mark(45_000_001), .near)
        XCTAssertEqual(mark(-45_000_001), .near, "a clock ahead counts by its magnitude")
        XCTAssertEqual(mark(60_000_000), .near, "up at the threshold itself")
        XCTAssertEqual(mark(60_000_001), .down)
        XCTAssertEqual(mark(60_000_001, disabled: true), .downDisabled)
        XCTAssertEqual(mark(50_000_000, disabled: true), .upDisabled, "disabled outranks near")

        XCTAssertEqual(Format.age(0), "0.0 s")
        XCTAssertEqual(Format.age(47_349_999), "47.3 s")
        XCTAssertEqual(Format.age(-4_550_000), "-4.6 s")
        XCTAssertEqual(Format.age(99_949_999), "99.9 s")
        XCTAssertEqual(Format.age(99_950_000), "1m 39s")
        XCTAssertEqual(Format.age(3_599_000_000), "59m 59s")
        XCTAssertEqual(Format.age(7_260_000_000), "2h 01m")
        XCTAssertEqual(Format.age(273_600_000_000), "3d 04h")
        XCTAssertEqual(Format.grouped(0), "0")
        XCTAssertEqual(Format.grouped(999), "999")
        XCTAssertEqual(Format.grouped(1000), "1,000")
        XCTAssertEqual(Format.grouped(-1_234_567), "-1,234,567")
        XCTAssertEqual(Format.count(1, "service"), "1 service")
        XCTAssertEqual(Format.count(2000, "service"), "2,000 services")
    }
}
