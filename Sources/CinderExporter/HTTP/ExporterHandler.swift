/// The exporter's routes (SPEC §4): the telemetry path, `/`, `/-/healthy`,
/// `/-/ready`; 404 for anything else, 405 for methods other than GET and HEAD.
public struct ExporterHandler: HTTPHandler {
    public let scraper: Scraper
    public let telemetryPath: String

    public init(scraper: Scraper, telemetryPath: String) {
        self.scraper = scraper
        self.telemetryPath = telemetryPath
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let route: () -> HTTPResponse
        switch request.path {
        case telemetryPath: route = { metrics(request) }
        case "/": route = { landingPage() }
        case "/-/healthy": route = { .text(200, "Healthy.\n") }
        case "/-/ready":
            route = { scraper.isReady() ? .text(200, "Ready.\n") : .text(503, "Not ready: the services table cannot be read.\n") }
        default: return .text(404, "Not found. Metrics are at \(telemetryPath)\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text(405, "Method not allowed.\n")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        }
        return route()
    }

    private func metrics(_ request: HTTPRequest) -> HTTPResponse {
        let format = ExpositionFormat.negotiate(accept: request.headers["accept"])
        let body = scraper.scrape(format: format, timeoutSeconds: Self.scrapeBudget(request))
        return HTTPResponse(status: 200, headers: [("Content-Type", format.contentType)], body: body)
    }

    /// Prometheus says how long it will wait; answer half a second before that.
    static func scrapeBudget(_ request: HTTPRequest) -> Double? {
        guard let text = request.headers["x-prometheus-scrape-timeout-seconds"],
              let seconds = Double(text), seconds.isFinite, seconds > 0 else { return nil }
        return max(0.05, seconds - 0.5)
    }

    private func landingPage() -> HTTPResponse {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>cinder-exporter</title></head>
            <body><h1>cinder-exporter \(HTML.escape(BuildInfo.version))</h1>
            <p>Cinder service state, read from the Cinder database.</p>
            <ul><li><a href="\(HTML.escape(telemetryPath))">Metrics</a></li>
            <li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
            </body></html>

            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
