/// Writes a Prometheus exposition straight into bytes: HELP/TYPE lines, label
/// sets with the format's escaping, and numbers in their shortest exact form.
public struct ExpositionWriter {
    public private(set) var bytes: [UInt8]
    public let format: ExpositionFormat

    public init(format: ExpositionFormat, capacity: Int = 4096) {
        self.format = format
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func family(_ family: MetricFamily) {
        // OpenMetrics names the family without the counter/info suffix; the
        // classic format has no info type and names the sample.
        let name: String
        let type: String
        switch (format, family.kind) {
        case (.openMetrics, _):
            name = family.name
            type = family.kind.rawValue
        case (.text004, .info):
            name = family.sampleName
            type = "gauge"
        case (.text004, _):
            name = family.sampleName
            type = family.kind.rawValue
        }
        append("# HELP ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(family.help)
        append("\n# TYPE ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample with a label block already rendered by `labelBlock`.
    public mutating func sample(_ family: MetricFamily, labels: [UInt8] = [], value: Int64) {
        sampleStart(family, labels)
        append(String(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    public mutating func sample(_ family: MetricFamily, labels: [UInt8] = [], value: Double) {
        sampleStart(family, labels)
        append(Self.format(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    public mutating func end() {
        if format == .openMetrics { append("# EOF\n") }
    }

    private mutating func sampleStart(_ family: MetricFamily, _ labels: [UInt8]) {
        append(family.sampleName)
        bytes.append(contentsOf: labels)
        bytes.append(UInt8(ascii: " "))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// `{name="value",...}` with `\\`, `\"` and `\n` escaped; empty pairs list
    /// gives no braces. Values are valid UTF-8 already (readers replace bad bytes).
    public static func labelBlock(_ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        labelBlock(pairs.map { ($0.key, $0.value) })
    }

    public static func labelBlock(_ pairs: [(String, String)]) -> [UInt8] {
        guard !pairs.isEmpty else { return [] }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (name, value)) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Shortest text that parses back to the same double (Swift's description
    /// is round-trip exact), with Prometheus's spellings of the special values.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value.description
    }
}
