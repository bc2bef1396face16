import CinderExporter

/// `ExpositionFormat.negotiate(accept:)` and `GzipCompressor.accepts`: the
/// `Accept` and `Accept-Encoding` headers of every scrape (SPEC §4). The
/// input is the two header values separated by a NUL byte (libmicrohttpd
/// hands headers over as C strings, so neither holds a NUL).
enum NegotiationFuzz {
    static let name = "negotiation"

    static let target = FuzzTarget(name: name, summary: "ExpositionFormat.negotiate(accept:), GzipCompressor.accepts") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let (acceptBytes, encodingBytes) = bytes.splitOnce(0)
        let accept = repaired(acceptBytes), encoding = repaired(encodingBytes)

        let format = ExpositionFormat.negotiate(accept: accept)
        try check(ExpositionFormat.negotiate(accept: accept) == format, name, "negotiating twice gave two answers")
        if format == .openMetrics {
            try check(accept.lowercased().containsBytes("application/openmetrics-text"), name,
                      "OpenMetrics chosen for an Accept that does not name it: \(accept.debugDescription)")
        }
        try check(ExpositionFormat.negotiate(accept: nil) == .text004, name, "no Accept header must give the text format")

        let gzip = GzipCompressor.accepts(encoding)
        try check(GzipCompressor.accepts(encoding) == gzip, name, "Accept-Encoding decided twice gave two answers")
        if gzip {
            try check(encoding.lowercased().containsBytes("gzip"), name,
                      "gzip chosen for an Accept-Encoding that does not name it: \(encoding.debugDescription)")
        }
        try check(!GzipCompressor.accepts(nil), name, "no Accept-Encoding header must give no gzip")
        // Either value may reach either function (a client may send anything).
        _ = ExpositionFormat.negotiate(accept: encoding)
        _ = GzipCompressor.accepts(accept)
    }
}
