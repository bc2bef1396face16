internal import CCrypt
#if canImport(Glibc)
import Glibc
#endif

/// bcrypt verification through libxcrypt's `crypt_r` (the one place that calls
/// libcrypt). Accepts `$2y$`, `$2b$` and `$2a$` hashes.
enum BCrypt {
    static func isBCryptHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$"),
              bytes[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)),
              (4...31).contains(cost) else { return false }
        return true
    }

    /// True when `password` hashes to `hash`; compared in constant time.
    static func verify(password: String, hash: String) -> Bool {
        // crypt_r takes C strings: a NUL would cut the password short, and
        // "secret\0anything" would pass for "secret".
        guard !password.utf8.contains(0) else { return false }
        // struct crypt_data is 32 KiB: on the heap, zeroed, never on a thread's stack.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: result).utf8)
        let expected = Array(hash.utf8)
        // A malformed setting yields a string starting with '*'.
        guard computed.first != UInt8(ascii: "*") else { return false }
        return constantTimeEquals(computed, expected)
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // The lengths are compared whole: one byte of their XOR would take
        // lengths 256 apart for equal.
        var difference = UInt(bitPattern: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
