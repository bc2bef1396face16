/// A growable byte buffer written through a raw pointer. An exposition is
/// built from tens of thousands of small pieces (names, label values, digits):
/// here each piece costs a capacity check and a copy, where `Array.append`
/// pays uniqueness and growth checks per call. Noncopyable: it owns its
/// memory and hands it back in deinit. Its memory comes from `BufferPool`, so
/// a multi-megabyte body reuses the pages of an earlier one.
struct ByteBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        let buffer = BufferPool.shared.take(minimumCapacity: max(capacity, 64))
        base = buffer.base
        self.capacity = buffer.capacity
    }

    deinit { BufferPool.shared.give(.init(base: base, capacity: capacity)) }

    /// Room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = BufferPool.shared.take(minimumCapacity: newCapacity)
        grown.base.initialize(from: base, count: count)
        BufferPool.shared.give(.init(base: base, capacity: capacity))
        base = grown.base
        capacity = grown.capacity
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

    /// `Double(micros) / 1e6` as Swift's `description` spells it (shortest
    /// round-trip digits, decimal notation), without the general algorithm;
    /// false, writing nothing, where that needs the general algorithm.
    ///
    /// Why the digits are those of the exact decimal micros/10⁶: a decimal of
    /// at most 15 significant digits is the only one of that length that reads
    /// back as its double, so it is the shortest. With 16 digits (timestamps
    /// with microseconds) and 10⁹ ≤ |x| < 2³², one ulp (≤ 2⁻²¹) is narrower than
    /// the 10⁻⁶ step between 16-digit decimals, so the exact decimal is the only
    /// 16-digit one that reads back; a 15-digit one may too, and is shorter.
    /// Below 10⁻⁴ Swift switches to exponent notation: left to `description`.
    mutating func appendSeconds(micros: Int64) -> Bool {
        let magnitude = micros.magnitude
        guard magnitude >= 100, magnitude < 1 << 53 else { return false }
        var mantissa = magnitude  // significant digits of |micros|, trailing zeros dropped
        var scale = 0             // how many were dropped
        while mantissa % 10 == 0 {
            mantissa /= 10
            scale += 1
        }
        var digits = 0
        var probe = mantissa
        while probe > 0 {
            probe /= 10
            digits += 1
        }
        if digits == 16 {
            // Only where one 16-digit decimal fits in an ulp (see above).
            guard magnitude >= 1_000_000_000_000_000, magnitude < 4_294_967_296_000_000 else { return false }
            let value = Double(micros) / 1_000_000
            let down = Int64(magnitude / 10), up = Int64(magnitude / 10) + 1
            let sign: Int64 = micros < 0 ? -1 : 1
            if Double(sign * down) / 100_000 == value {
                return appendSeconds(micros: sign * down * 10)
            }
            if Double(sign * up) / 100_000 == value {
                return appendSeconds(micros: sign * up * 10)
            }
        } else if digits > 16 {
            return false
        }
        appendFixedSeconds(micros: micros, fractionDigits: max(0, 6 - scale))
        return true
    }

    /// `-I.F`: the integer seconds, then `fractionDigits` digits of the
    /// microseconds (trailing zeros already known to be dropped), or `.0`.
    private mutating func appendFixedSeconds(micros: Int64, fractionDigits: Int) {
        if micros < 0 { append(UInt8(ascii: "-")) }
        let magnitude = micros.magnitude
        appendInteger(Int64(magnitude / 1_000_000))
        append(UInt8(ascii: "."))
        guard fractionDigits > 0 else {
            append(UInt8(ascii: "0"))
            return
        }
        var fraction = magnitude % 1_000_000
        for _ in fractionDigits..<6 { fraction /= 10 }
        reserve(fractionDigits)
        var position = base + count + fractionDigits
        for _ in 0..<fractionDigits {
            position -= 1
            position.pointee = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
        }
        count += fractionDigits
    }

    /// Empties the buffer; its memory stays for the next bytes.
    mutating func removeAll() {
        count = 0
    }

    /// Reads bytes `range` in place.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return body(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Hands the bytes over without copying them; the buffer is gone after.
    consuming func take() -> OwnedBytes {
        let owned = OwnedBytes(adopting: .init(base: base, capacity: capacity), count: count)
        discard self
        return owned
    }

    /// A copy of the bytes as an array.
    var array: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.initialize(from: base, count: count) }
            initialized = count
        }
    }
}

/// Bytes on the heap with one owner at a time, handed from the renderer to
/// gzip and to libmicrohttpd without copying a multi-megabyte body. Immutable
/// once made: that is why it may cross threads. Its memory goes back to
/// `BufferPool` when the last owner lets go (libmicrohttpd, after sending).
public final class OwnedBytes: @unchecked Sendable {
    public let base: UnsafeMutablePointer<UInt8>?
    public let count: Int
    /// The allocation's size, which the pool needs to take it back.
    private let capacity: Int

    /// Takes over `buffer`, whose first `count` bytes are initialized.
    init(adopting buffer: BufferPool.Buffer, count: Int) {
        precondition(count <= buffer.capacity)
        base = buffer.base
        capacity = buffer.capacity
        self.count = count
    }

    public convenience init(_ bytes: [UInt8]) {
        let buffer = BufferPool.shared.take(minimumCapacity: max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { if let source = $0.baseAddress { buffer.base.initialize(from: source, count: $0.count) } }
        self.init(adopting: buffer, count: bytes.count)
    }

    deinit {
        if let base { BufferPool.shared.give(.init(base: base, capacity: capacity)) }
    }

    public var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    public var array: [UInt8] { Array(buffer) }
}
