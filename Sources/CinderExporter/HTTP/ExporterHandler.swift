import Dispatch

/// The exporter's routes (SPEC §4): the telemetry path, `/`, `/-/healthy`,
/// `/-/ready`; 404 for anything else, 405 for methods other than GET and HEAD.
public struct ExporterHandler: HTTPHandler {
    public let scraper: Scraper
    public let telemetryPath: String
    public let gzip: GzipCompressor
    /// Bounds concurrent renders, not connections: idle or slow clients cost
    /// a thread each, but only this many bodies (or streamed bodies' pieces)
    /// are rendered at once.
    private let renderSlots: DispatchSemaphore
    /// Whole renders of a large table (gzip scrapes, the landing page) also
    /// take this one slot: at 10,000 services a gzip render holds an 8.6 MB
    /// text body until it is compressed, so they run one at a time.
    private let largeRenderSlot = DispatchSemaphore(value: 1)
    /// From this many services on, a table is large (bodies of about 860
    /// bytes per service): its uncompressed scrapes are streamed instead of
    /// rendered whole and shared, and its whole renders run one at a time.
    public let largeTableServices: Int
    private let shared = SharedRenders()

    public init(scraper: Scraper, telemetryPath: String, gzip: GzipCompressor = GzipCompressor(), maxConcurrentRenders: Int = 4,
                largeTableServices: Int = 2_000) {
        self.scraper = scraper
        self.telemetryPath = telemetryPath
        self.gzip = gzip
        renderSlots = DispatchSemaphore(value: maxConcurrentRenders)
        self.largeTableServices = largeTableServices
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
        let large = isLarge(outcome)
        let render = { () -> HTTPResponse? in
            withRenderSlot(large: large, deadline: deadline) {
                let body = scraper.render(outcome, format: format, startedAt: started)
                return compressed(HTTPResponse(status: 200, headers: [("Content-Type", format.contentType)], body: body),
                                  for: request)
            }
        }
        let busy = HTTPResponse.text(503, "Too many concurrent scrapes.\n")
        // A failed read's answer is the caller's own (its error, its duration).
        guard outcome.isSuccess else { return render() ?? busy }
        let gzip = GzipCompressor.accepts(request.headers["accept-encoding"])
        // A large table's uncompressed body goes out as it is rendered, a
        // piece at a time: never whole in memory, and nothing is shared. Each
        // piece takes a render slot while it renders. (libmicrohttpd 0.9.75
        // would send a chunked body's last chunk after a HEAD answer: HEAD
        // gets a whole render.)
        if large, !gzip, request.method == "GET" {
            return HTTPResponse(status: 200, headers: [("Content-Type", format.contentType), ("Vary", "Accept-Encoding")],
                                stream: scraper.stream(outcome, format: format, startedAt: started, renderSlots: renderSlots))
        }
        // Otherwise the body is rendered (and compressed) whole once per read,
        // and every scrape of that read shares its bytes.
        let key = SharedRenders.Key(read: outcome.read, format: format, gzip: gzip)
        return shared.response(for: key, deadline: deadline, render: render) ?? busy
    }

    /// The landing page reads the table too: it shares the read in flight and
    /// the same bounds on concurrent renders as /metrics.
    private func landingPage(_ request: HTTPRequest) -> HTTPResponse {
        let outcome = scraper.read()
        let deadline = DispatchTime.now() + .nanoseconds(Int(scraper.readTimeoutSeconds * 1e9))
        return withRenderSlot(large: isLarge(outcome), deadline: deadline) {
            compressed(LandingPage.render(outcome, downTimeSeconds: scraper.downTimeSeconds,
                                          telemetryPath: telemetryPath, work: scraper.work), for: request)
        } ?? .text(503, "Too many concurrent renders.\n")
    }

    private func isLarge(_ outcome: ReadOutcome) -> Bool {
        guard case .success(let snapshot) = outcome.snapshot else { return false }
        return snapshot.serviceCount >= largeTableServices
    }

    /// Runs `body` in a render slot (and, for a large table, in the large
    /// render slot, always taken first); nil when `deadline` passed first.
    private func withRenderSlot<T>(large: Bool, deadline: DispatchTime, _ body: () -> T) -> T? {
        if large, largeRenderSlot.wait(timeout: deadline) != .success { return nil }
        defer { if large { largeRenderSlot.signal() } }
        guard renderSlots.wait(timeout: deadline) == .success else { return nil }
        defer { renderSlots.signal() }
        return body()
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
