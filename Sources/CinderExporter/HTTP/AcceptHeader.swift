/// An `Accept` header parsed into media ranges (RFC 9110 §12.5.1). Pure and
/// total: any input gives an answer (ranges it cannot read are skipped), so
/// it can be fuzzed directly.
public struct AcceptHeader: Sendable, Equatable {
    public struct MediaRange: Sendable, Equatable {
        /// Lower-cased; `*` for a wildcard.
        public let type: String
        public let subtype: String
        /// 0...1; 1 when the range names no `q`.
        public let q: Double
    }

    /// In header order.
    public let ranges: [MediaRange]

    public init(_ header: String) {
        var ranges: [MediaRange] = []
        for element in header.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = element.split(separator: ";", omittingEmptySubsequences: false)
            let mediaType = parts[0].trimmingASCIISpaces().lowercased()
            let halves = mediaType.split(separator: "/", omittingEmptySubsequences: false)
            guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
                  halves[0] != "*" || halves[1] == "*" else { continue }
            var q = 1.0
            var readable = true
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2, pair[0].trimmingASCIISpaces().lowercased() == "q" else { continue }
                guard let value = Self.qValue(pair[1].trimmingASCIISpaces()) else {
                    readable = false
                    break
                }
                q = value
            }
            if readable { ranges.append(MediaRange(type: String(halves[0]), subtype: String(halves[1]), q: q)) }
        }
        self.ranges = ranges
    }

    /// RFC 9110's qvalue: `0`, `0.` and up to three digits, or `1` / `1.000`.
    static func qValue(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1"), bytes.count <= 5 else { return nil }
        if bytes.count == 1 { return first == UInt8(ascii: "1") ? 1 : 0 }
        guard bytes[1] == UInt8(ascii: "."), bytes.dropFirst(2).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        var value = Double(first - UInt8(ascii: "0"))
        var scale = 0.1
        for digit in bytes.dropFirst(2) {
            value += Double(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1 ? value : nil
    }

    /// How much the client wants `type/subtype`: the q of the most specific
    /// range that matches it (exact 2, `type/*` 1, `*/*` 0; the highest q
    /// among equally specific ones), with that range's specificity and
    /// position; nil when no range matches.
    /// The specificity of a range that names the type exactly.
    public static let exact = 2

    public func preference(type: String, subtype: String) -> (q: Double, specificity: Int, index: Int)? {
        var best: (q: Double, specificity: Int, index: Int)?
        for (index, range) in ranges.enumerated() {
            let specificity: Int
            if range.type == type, range.subtype == subtype {
                specificity = Self.exact
            } else if range.type == type, range.subtype == "*" {
                specificity = 1
            } else if range.type == "*", range.subtype == "*" {
                specificity = 0
            } else {
                continue
            }
            if let current = best, specificity < current.specificity || (specificity == current.specificity && range.q <= current.q) {
                continue
            }
            best = (range.q, specificity, index)
        }
        return best
    }
}
