#if canImport(Glibc)
import Glibc
#endif

/// Text compared by its UTF-8 bytes. Two label sets are one series only when
/// their bytes are equal, so the read-to-read caches compare bytes, never with
/// Swift's `==` (canonical equivalence would call "café" precomposed and
/// decomposed the same).
enum TextBytes {
    /// True when `a` and `b` hold the same bytes.
    @inline(__always)
    static func same(_ a: String, _ b: String) -> Bool {
        // The same storage, or the same inline small string: the same bytes.
        // This is the common case, since readers reuse unchanged strings.
        if bits(a) == bits(b) { return true }
        guard a.utf8.count == b.utf8.count else { return false }
        let compared: Bool? = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in equal(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) }
        } ?? nil
        return compared ?? a.utf8.elementsEqual(b.utf8)
    }

    /// Sets `text` to `bytes` decoded (invalid UTF-8 repaired with U+FFFD),
    /// keeping `text`'s own string when the result has the same bytes; true
    /// when they differ. Cinder rewrites a service's heartbeat every few
    /// seconds but its names almost never: keeping the last read's string
    /// skips an allocation and a UTF-8 validation per column. A repaired
    /// string never equals its raw bytes, but it equals the last read's
    /// repair of the same bytes.
    @inline(__always)
    static func update(_ text: inout String, to bytes: UnsafeRawBufferPointer) -> Bool {
        if text.utf8.count == bytes.count {
            let unchanged: Bool? = text.utf8.withContiguousStorageIfAvailable { equal(UnsafeRawBufferPointer($0), bytes) }
            if unchanged == true { return false }
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        if same(decoded, text) { return false }
        text = decoded
        return true
    }

    /// A string's two words: its count and flags, and its storage (or, for a
    /// small string, its bytes inline).
    @inline(__always)
    private static func bits(_ text: String) -> (UInt64, UInt64) {
        unsafeBitCast(text, to: (UInt64, UInt64).self)
    }

    @inline(__always)
    private static func equal(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        guard x.count == y.count else { return false }
        guard x.count > 0, let p = x.baseAddress, let q = y.baseAddress else { return true }
        return memcmp(p, q, x.count) == 0
    }
}
