import Dispatch

/// The exporter's routes (SPEC §4): the telemetry path, `/`, `/-/healthy`,
/// `/-/ready`; 404 for anything else, 405 for methods other than GET and HEAD.
public struct ExporterHandler: HTTPHandler {
    public let scraper: Scraper
    public let telemetryPath: String
    public let gzip: GzipCompressor
    /// Bounds concurrent whole-body renders (gzip scrapes, the landing page,
    /// answers to failed reads), not connections: idle or slow clients cost a
    /// thread each, but only this many bodies are built at once. One by
    /// default: at 10,000 services a gzip render holds an 8.6 MB text body
    /// until it is compressed, and renders of one read are shared anyway.
    /// Streamed bodies take no slot: they never hold more than a piece.
    private let renderSlots: DispatchSemaphore
    private let shared = SharedRenders()

    public init(scraper: Scraper, telemetryPath: String, gzip: GzipCompressor = GzipCompressor(), maxConcurrentRenders: Int = 1) {
        self.scraper = scraper
        self.telemetryPath = telemetryPath
        self.gzip = gzip
        renderSlots = DispatchSemaphore(value: maxConcurrentRenders)
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let route: () -> HTTPResponse
        switch request.path {
        case telemetryPath: route = { metrics(request) }
        case "/": route = { landingPage(request) }
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
        let budget = Self.scrapeBudget(request)
        let started = Clock.monotonicSeconds()
        // Every scrape joins the read in flight; only rendering is bounded.
        let outcome = scraper.read(timeoutSeconds: budget)
        let format = ExpositionFormat.negotiate(accept: request.headers["accept"])
        let limit = min(budget ?? scraper.readTimeoutSeconds, scraper.readTimeoutSeconds)
        let remaining = max(0.05, limit - (Clock.monotonicSeconds() - started))
        let deadline = DispatchTime.now() + .nanoseconds(Int(remaining * 1e9))
        let render = { () -> HTTPResponse? in
            guard renderSlots.wait(timeout: deadline) == .success else { return nil }
            defer { renderSlots.signal() }
            let body = scraper.render(outcome, format: format, startedAt: started)
            return compressed(HTTPResponse(status: 200, headers: [("Content-Type", format.contentType)], body: body),
                              for: request)
        }
        let busy = HTTPResponse.text(503, "Too many concurrent scrapes.\n")
        // A failed read's answer is the caller's own (its error, its duration).
        guard outcome.isSuccess else { return render() ?? busy }
        guard GzipCompressor.accepts(request.headers["accept-encoding"]) else {
            // libmicrohttpd 0.9.75 would send a chunked body's last chunk
            // after a HEAD answer: HEAD gets the whole render's headers.
            guard request.method == "GET" else { return render() ?? busy }
            // Uncompressed, the body goes out as it is rendered, a piece at a
            // time: never whole in memory (10,000 services make 8.6 MB), so no
            // render slot is taken and nothing is shared.
            return HTTPResponse(status: 200, headers: [("Content-Type", format.contentType), ("Vary", "Accept-Encoding")],
                                stream: scraper.stream(outcome, format: format, startedAt: started))
        }
        // Compressed, it is rendered whole once per read and the compressed
        // bytes are shared by every scrape of that read.
        let key = SharedRenders.Key(read: outcome.read, format: format)
        return shared.response(for: key, deadline: deadline, render: render) ?? busy
    }

    /// The landing page reads the table too: it shares the read in flight and
    /// the same bound on concurrent renders as /metrics.
    private func landingPage(_ request: HTTPRequest) -> HTTPResponse {
        let outcome = scraper.read()
        guard renderSlots.wait(timeout: .now() + .nanoseconds(Int(scraper.readTimeoutSeconds * 1e9))) == .success else {
            return .text(503, "Too many concurrent renders.\n")
        }
        defer { renderSlots.signal() }
        return compressed(LandingPage.render(outcome, downTimeSeconds: scraper.downTimeSeconds,
                                                     telemetryPath: telemetryPath, work: scraper.work), for: request)
    }

    /// gzip when the client asks for it; `Vary` either way, for caches.
    private func compressed(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        var response = response
        response.headers.append(("Vary", "Accept-Encoding"))
        if GzipCompressor.accepts(request.headers["accept-encoding"]), let body = gzip.compress(response.body) {
            response.body = body
            response.headers.append(("Content-Encoding", "gzip"))
        }
        return response
    }

    /// Prometheus says how long it will wait; answer half a second before that.
    static func scrapeBudget(_ request: HTTPRequest) -> Double? {
        guard let text = request.headers["x-prometheus-scrape-timeout-seconds"],
              let seconds = Double(text), seconds.isFinite, seconds > 0 else { return nil }
        return max(0.05, seconds - 0.5)
    }
}
