/// Writes a Prometheus exposition straight into bytes: HELP/TYPE lines, label
/// sets with the format's escaping, and numbers in their shortest exact form.
/// Noncopyable: it owns the buffer the exposition is written into.
public struct ExpositionWriter: ~Copyable {
    private var buffer: ByteBuffer
    public let format: ExpositionFormat

    public init(format: ExpositionFormat, capacity: Int = 4096) {
        self.format = format
        buffer = ByteBuffer(capacity: capacity)
    }

    /// The exposition written so far (a copy).
    public var bytes: [UInt8] { buffer.array }

    /// How many bytes are written so far.
    var count: Int { buffer.count }

    /// Forgets what was written, keeping the memory (a streamed body's
    /// staging buffer is written, sent and written again).
    mutating func removeAll() {
        buffer.removeAll()
    }

    /// The bytes `range` of what is written so far.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        buffer.withBytes(range, body)
    }

    /// The finished exposition, handed over without a copy.
    public consuming func finish() -> OwnedBytes {
        buffer.take()
    }

    public mutating func family(_ family: MetricFamily) {
        // OpenMetrics names a counter family without `_total` (strict parsers
        // reject the clash); the classic format names the sample.
        let name = format == .openMetrics ? family.name : family.sampleName
        let type = family.kind.rawValue
        buffer.append("# HELP ")
        buffer.append(name)
        buffer.append(UInt8(ascii: " "))
        buffer.append(family.help)
        buffer.append("\n# TYPE ")
        buffer.append(name)
        buffer.append(UInt8(ascii: " "))
        buffer.append(type)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A sample with a label block already rendered by `labelBlock`.
    /// A family with one unlabelled sample: HELP, TYPE and the value.
    public mutating func single(_ family: MetricFamily, _ value: Int64) {
        self.family(family)
        sample(family, value: value)
    }

    public mutating func single(_ family: MetricFamily, _ value: Double) {
        self.family(family)
        sample(family, value: value)
    }

    public mutating func sample(_ family: MetricFamily, labels: [UInt8] = [], value: Int64) {
        sampleStart(family, labels)
        buffer.appendInteger(value)
        buffer.append(UInt8(ascii: "\n"))
    }

    public mutating func sample(_ family: MetricFamily, labels: [UInt8] = [], value: Double) {
        sampleStart(family, labels)
        buffer.append(Self.format(value))
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A sample labelled with block `index` of `blocks`; `name` is the family's
    /// sample name as bytes (computed once per family, not per sample).
    mutating func sample(_ name: [UInt8], _ blocks: borrowing LabelBlocks, _ index: Int, value: Int64) {
        buffer.append(name)
        blocks.copy(index, into: &buffer)
        buffer.append(UInt8(ascii: " "))
        buffer.appendInteger(value)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A sample with a double value; whole numbers print without a fraction
    /// (sizes in bytes read better as integers).
    mutating func sample(_ name: [UInt8], _ blocks: borrowing LabelBlocks, _ index: Int, value: Double) {
        buffer.append(name)
        blocks.copy(index, into: &buffer)
        buffer.append(UInt8(ascii: " "))
        if value == value.rounded(), abs(value) < 9.0e15 {
            buffer.appendInteger(Int64(value))
        } else {
            buffer.append(Self.format(value))
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A sample whose value is `micros` as seconds, spelled as
    /// `format(ExpositionRenderer.seconds(micros))` spells it.
    mutating func sample(_ name: [UInt8], _ blocks: borrowing LabelBlocks, _ index: Int, micros: Int64) {
        buffer.append(name)
        blocks.copy(index, into: &buffer)
        buffer.append(UInt8(ascii: " "))
        if !buffer.appendSeconds(micros: micros) {
            buffer.append(Self.format(ExpositionRenderer.seconds(micros)))
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Starts a sample whose labels are block `index` of `blocks` followed by
    /// more pairs (the info series: service labels plus descriptive ones): call
    /// `extraLabel` for each, then `finishExtendedSample`. The block must hold
    /// at least one pair.
    mutating func startExtendedSample(_ name: [UInt8], _ blocks: borrowing LabelBlocks, _ index: Int) {
        buffer.append(name)
        blocks.copy(index, into: &buffer, closed: false)
    }

    /// `,name="value"`, escaped.
    mutating func extraLabel(_ name: StaticString, _ value: String) {
        buffer.append(UInt8(ascii: ","))
        buffer.append(name)
        buffer.append(UInt8(ascii: "="))
        buffer.append(UInt8(ascii: "\""))
        buffer.appendEscaped(value)
        buffer.append(UInt8(ascii: "\""))
    }

    mutating func finishExtendedSample(value: Int64) {
        buffer.append(UInt8(ascii: "}"))
        buffer.append(UInt8(ascii: " "))
        buffer.appendInteger(value)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Bytes already in exposition form (a family body rendered earlier).
    mutating func raw(_ bytes: OwnedBytes) {
        buffer.append(bytes.buffer)
    }

    /// Part of such bytes (a family body sent a piece at a time).
    mutating func raw(_ bytes: OwnedBytes, _ range: Range<Int>) {
        buffer.append(UnsafeBufferPointer(rebasing: bytes.buffer[range]))
    }

    public mutating func end() {
        if format == .openMetrics { buffer.append("# EOF\n" as StaticString) }
    }

    private mutating func sampleStart(_ family: MetricFamily, _ labels: [UInt8]) {
        buffer.append(family.sampleName)
        buffer.append(labels)
        buffer.append(UInt8(ascii: " "))
    }

    /// `{name="value",...}` with `\\`, `\"` and `\n` escaped; empty pairs list
    /// gives no braces. Values are valid UTF-8 already (readers replace bad bytes).
    public static func labelBlock(_ pairs: [(String, String)]) -> [UInt8] {
        guard !pairs.isEmpty else { return [] }
        var out = ByteBuffer(capacity: 256)
        for (index, (name, value)) in pairs.enumerated() {
            out.append(index == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(name)
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "\""))
            out.appendEscaped(value)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return out.array
    }

    /// Shortest text that parses back to the same double (Swift's description
    /// is round-trip exact), with Prometheus's spellings of the special values.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value.description
    }
}

/// The label blocks of many series, escaped once into one buffer (no array per
/// service): block `i` is `{name="value",...}` for the i-th `finish()`.
struct LabelBlocks: ~Copyable {
    private var buffer: ByteBuffer
    private var ends: [Int] = []
    private var isOpen = false

    init(blocks: Int, bytesPerBlock: Int) {
        buffer = ByteBuffer(capacity: blocks * bytesPerBlock)
        ends.reserveCapacity(blocks)
    }

    mutating func pair(_ name: StaticString, _ value: String) {
        buffer.append(isOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        isOpen = true
        buffer.append(name)
        buffer.append(UInt8(ascii: "="))
        buffer.append(UInt8(ascii: "\""))
        buffer.appendEscaped(value)
        buffer.append(UInt8(ascii: "\""))
    }

    /// Ends the current block (an empty one when no pair was added).
    mutating func finish() {
        if isOpen { buffer.append(UInt8(ascii: "}")) }
        isOpen = false
        ends.append(buffer.count)
    }

    /// Copies block `index`; without its closing brace when `closed` is false.
    func copy(_ index: Int, into out: inout ByteBuffer, closed: Bool = true) {
        let start = index == 0 ? 0 : ends[index - 1]
        var end = ends[index]
        if !closed, end > start { end -= 1 }
        out.append(buffer, start..<end)
    }
}
