/// The libFuzzer harnesses of the parsers that take outside input (issue 12).
/// Each target feeds bytes through the exporter's public API and checks
/// invariants that must hold for every input; a broken invariant throws,
/// and a crash (a Swift trap, an ASan report) is a finding too.
///
/// The same targets serve two drivers: `cinder-exporter-fuzz` linked with
/// libFuzzer (scripts/fuzz.sh) and, in the normal build, the corpus replay of
/// `FuzzCorpusTests` and `cinder-exporter-fuzz replay`.
public struct FuzzTarget: Sendable {
    /// The name of the target and of its corpus directory under Tests/FuzzCorpus.
    public let name: String
    /// The entry points it drives, for the help text and the report.
    public let summary: String
    /// Runs one input; throws when an invariant does not hold.
    public let run: @Sendable ([UInt8]) throws(InvariantViolation) -> Void

    public init(name: String, summary: String, run: @escaping @Sendable ([UInt8]) throws(InvariantViolation) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// An invariant that an input broke: what was expected, and what was seen.
public struct InvariantViolation: Error, Sendable, CustomStringConvertible {
    public let target: String
    public let message: String

    public init(_ target: String, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target): \(message)" }
}

public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        DatabaseURLFuzz.target,
        CinderConfigFuzz.target,
        WebConfigFuzz.target,
        StoredTimeFuzz.target,
        NegotiationFuzz.target,
        BasicAuthFuzz.target,
        DurationFuzz.target,
        LabelEscapingFuzz.target,
    ]

    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }

    /// The repository's Tests/FuzzCorpus, found from this file's path (the
    /// fuzz binary and the tests run from the checkout they were built in).
    public static var corpusRoot: String {
        let file = "\(#filePath)"
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Sources/CinderExporterFuzz/FuzzTarget.swift
        return parts.joined(separator: "/") + "/Tests/FuzzCorpus"
    }
}

/// `check(condition, "message")` inside a harness.
@inline(__always)
func check(_ condition: Bool, _ target: String, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(target, message()) }
}

extension [UInt8] {
    /// The input split at the first `separator` (the rest after it, or empty).
    func splitOnce(_ separator: UInt8) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        guard let index = firstIndex(of: separator) else { return (self[...], []) }
        return (self[..<index], self[(index + 1)...])
    }
}

/// The text a C-string or byte-length reader would hand the exporter: bytes
/// that are not UTF-8 become U+FFFD.
func repaired<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// True when `bytes` is well-formed UTF-8 (decoding repairs nothing).
func isValidUTF8<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

extension String {
    /// Whether `self` holds `other` as a byte sequence (not Character-wise:
    /// a combining mark must not hide a match).
    func containsBytes(_ other: String) -> Bool {
        let haystack = Array(utf8), needle = Array(other.utf8)
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
