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

    /// OpenMetrics when the Accept header names it, else the classic text format.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text004 }
        for part in accept.split(separator: ",") {
            let mediaType = part.split(separator: ";").first.map { $0.trimmingASCIISpaces() } ?? ""
            if mediaType.lowercased() == "application/openmetrics-text" {
                // `q=0` means "not acceptable".
                let params = part.split(separator: ";").dropFirst().map { $0.trimmingASCIISpaces() }
                if params.contains(where: { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" }) { continue }
                return .openMetrics
            }
        }
        return .text004
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
