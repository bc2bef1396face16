/// A growable byte buffer written through a raw pointer. An exposition is
/// built from tens of thousands of small pieces (names, label values, digits):
/// here each piece costs a capacity check and a copy, where `Array.append`
/// pays uniqueness and growth checks per call. Noncopyable: it owns its
/// memory and frees it in deinit.
struct ByteBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append($0) }
        if copied == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    /// Bytes `range` of another buffer.
    mutating func append(_ other: borrowing ByteBuffer, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= other.count)
        append(UnsafeBufferPointer(start: other.base + range.lowerBound, count: range.count))
    }

    /// A label value with `\\`, `\"` and `\n` escaped (the text format's and
    /// OpenMetrics' escapes); every other byte as it is.
    mutating func appendEscaped(_ value: String) {
        let copied: Void? = value.utf8.withContiguousStorageIfAvailable { text in
            reserve(text.count * 2)  // the worst case: every byte escaped
            var out = base + count
            for byte in text {
                if Self.needsEscape(byte) {
                    out[0] = UInt8(ascii: "\\")
                    out[1] = byte == UInt8(ascii: "\n") ? UInt8(ascii: "n") : byte
                    out += 2
                } else {
                    out.pointee = byte
                    out += 1
                }
            }
            count = out - base
        }
        if copied == nil {
            for byte in value.utf8 {
                if Self.needsEscape(byte) {
                    append(UInt8(ascii: "\\"))
                    append(byte == UInt8(ascii: "\n") ? UInt8(ascii: "n") : byte)
                } else {
                    append(byte)
                }
            }
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")
    }

    /// The decimal digits of `value`, as `String(value)` spells them.
    mutating func appendInteger(_ value: Int64) {
        reserve(20)  // "-9223372036854775808"
        var out = base + count
        if value < 0 {
            out.pointee = UInt8(ascii: "-")
            out += 1
        }
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var position = out + digits
        out = position
        repeat {
            position -= 1
            position.pointee = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        count = out - base
    }

    /// A copy of the bytes as an array.
    var array: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.initialize(from: base, count: count) }
            initialized = count
        }
    }
}
