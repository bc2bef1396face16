import CinderExporter

/// Label values as the exposition writer escapes them (SPEC §2): every text
/// column of a service row reaches a label. The input is up to ten column
/// values separated by 0xFF bytes, each repaired to valid UTF-8 as the
/// readers repair it. Each value goes through `ExpositionWriter.labelBlock`
/// and, as one service row, through `ExpositionRenderer.renderServices` (the
/// label blocks the exporter really serves). The output must be valid UTF-8
/// with no raw newline, quote or backslash inside a value, and unescaping
/// every value must give back the repaired column byte for byte.
enum LabelEscapingFuzz {
    static let name = "label-escaping"

    static let target = FuzzTarget(name: name, summary: "ExpositionWriter.labelBlock, ExpositionRenderer.renderServices (label blocks and info labels)") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        var fields = bytes.split(separator: 0xFF, maxSplits: 10, omittingEmptySubsequences: false).map { repaired($0) }
        while fields.count < 10 { fields.append("") }

        for value in fields {
            let block = ExpositionWriter.labelBlock([("l", value)])
            let parsed = try parseLabels(block[...], in: "labelBlock")
            try check(parsed.count == 1 && parsed[0].name == "l", name, "labelBlock gave \(parsed.count) labels")
            try check(parsed[0].value == Array(value.utf8), name,
                      "\(value.debugDescription) came back as \(repaired(parsed[0].value).debugDescription)")
        }

        let row = ServiceRow(
            id: 1, host: fields[0], binary: fields[1], topic: fields[4], zone: fields[2], cluster: fields[3],
            disabledReason: fields[5], replicationStatus: fields[6], activeBackendID: fields[7],
            rpcVersion: fields[8], objectVersion: fields[9], updatedAt: .micros(1_800_000_000_000_000))
        let snapshot = ServiceSnapshot(rows: [row], nowMicros: 1_800_000_001_000_000, downTimeMicros: 60_000_000)
        let identity: [(String, String)] = [("host", row.host), ("binary", row.binary), ("zone", row.zone), ("cluster", row.cluster)]
        let info = identity + [
            ("topic", row.topic), ("disabled_reason", row.disabledReason), ("replication_status", row.replicationStatus),
            ("active_backend_id", row.activeBackendID), ("frozen", "false"), ("rpc_version", row.rpcVersion),
            ("object_version", row.objectVersion),
        ]
        for format in [ExpositionFormat.text004, .openMetrics] {
            var writer = ExpositionWriter(format: format)
            ExpositionRenderer.renderServices(snapshot, into: &writer)
            writer.end()
            let output = writer.bytes
            try check(isValidUTF8(output), name, "the \(format) exposition is not valid UTF-8")
            try check(output.last == UInt8(ascii: "\n"), name, "the \(format) exposition does not end with a newline")
            var samples = 0
            for line in output.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                if line.first == UInt8(ascii: "#") { continue }
                samples += 1
                guard let open = line.firstIndex(of: UInt8(ascii: "{")) else {
                    throw InvariantViolation(name, "a sample without labels: \(repaired(line).debugDescription)")
                }
                let metric = String(decoding: line[..<open], as: UTF8.self)
                let close = try endOfLabels(line, from: open)
                try check(line[close...].first == UInt8(ascii: " "), name, "no space after the labels of \(metric)")
                let labels = try parseLabels(line[open..<close], in: metric)
                let expected = metric == "cinder_service_info" ? info : identity
                try check(labels.map(\.name) == expected.map(\.0), name, "\(metric) has labels \(labels.map(\.name))")
                for (label, (labelName, value)) in zip(labels, expected) where label.value != Array(value.utf8) {
                    throw InvariantViolation(name, "\(metric) \(labelName)=\(value.debugDescription) came back as \(repaired(label.value).debugDescription)")
                }
            }
            try check(samples == 6, name, "\(samples) samples for one service in \(format), expected 6")
        }
    }

    /// The index just past the `}` that closes the label block opening at `open`.
    static func endOfLabels(_ line: ArraySlice<UInt8>, from open: Int) throws(InvariantViolation) -> Int {
        var index = open + 1
        var inValue = false
        while index < line.endIndex {
            let byte = line[index]
            if inValue {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inValue = false }
            } else if byte == UInt8(ascii: "\"") {
                inValue = true
            } else if byte == UInt8(ascii: "}") {
                return index + 1
            }
            index += 1
        }
        throw InvariantViolation(name, "a label block that does not close")
    }

    /// A strict reading of `{name="value",...}` as both exposition formats
    /// define it: a value holds no raw newline, quote or backslash, and the
    /// only escapes are `\\`, `\"` and `\n`. Returns the unescaped values.
    static func parseLabels(_ block: ArraySlice<UInt8>, in context: String) throws(InvariantViolation) -> [(name: String, value: [UInt8])] {
        func fail(_ why: String) -> InvariantViolation {
            InvariantViolation(name, "\(context): \(why) in \(repaired(block).debugDescription)")
        }
        guard block.first == UInt8(ascii: "{"), block.last == UInt8(ascii: "}") else { throw fail("no braces") }
        guard isValidUTF8(block) else { throw fail("invalid UTF-8") }
        var labels: [(name: String, value: [UInt8])] = []
        var index = block.startIndex + 1
        let end = block.endIndex - 1
        while index < end {
            if !labels.isEmpty {
                guard block[index] == UInt8(ascii: ",") else { throw fail("no comma between labels") }
                index += 1
            }
            let nameStart = index
            while index < end, block[index] != UInt8(ascii: "=") {
                let byte = block[index]
                let isNameByte = byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (index > nameStart && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte))
                guard isNameByte else { throw fail("a bad byte in a label name") }
                index += 1
            }
            guard index > nameStart, index + 1 < end, block[index] == UInt8(ascii: "="), block[index + 1] == UInt8(ascii: "\"") else {
                throw fail("no =\" after a label name")
            }
            let labelName = String(decoding: block[nameStart..<index], as: UTF8.self)
            index += 2
            var value: [UInt8] = []
            while true {
                guard index < end else { throw fail("an unterminated value") }
                let byte = block[index]
                if byte == UInt8(ascii: "\"") { index += 1; break }
                if byte == UInt8(ascii: "\n") { throw fail("a raw newline") }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < end else { throw fail("a trailing backslash") }
                    switch block[index + 1] {
                    case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                    default: throw fail("an unknown escape")
                    }
                    index += 2
                    continue
                }
                value.append(byte)
                index += 1
            }
            labels.append((labelName, value))
        }
        return labels
    }
}
