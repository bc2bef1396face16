/// The two exposition formats Prometheus negotiates (SPEC §4).
public enum ExpositionFormat: Sendable {
    case text004
    case openMetrics

    public var contentType: String {
        switch self {
        case .text004: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format the `Accept` header prefers (SPEC §4): OpenMetrics only when
    /// the header names `application/openmetrics-text` (a wildcard never
    /// picks it, as in client_golang, found by the negotiation fuzz target);
    /// then the higher q wins; on equal q the more specific range, then the
    /// one listed first. The classic text format when the header is absent,
    /// does not name OpenMetrics, or refuses it.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text004 }
        let header = AcceptHeader(accept)
        let open = header.preference(type: "application", subtype: "openmetrics-text")
        let text = header.preference(type: "text", subtype: "plain")
        guard let open, open.q > 0, open.specificity == AcceptHeader.exact else { return .text004 }
        guard let text, text.q > 0 else { return .openMetrics }
        if open.q != text.q { return open.q > text.q ? .openMetrics : .text004 }
        if open.specificity != text.specificity { return open.specificity > text.specificity ? .openMetrics : .text004 }
        return open.index < text.index ? .openMetrics : .text004
    }
}

extension Substring {
    func trimmingASCIISpaces() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
