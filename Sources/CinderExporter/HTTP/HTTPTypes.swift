/// A request as the exporter's routes see it: no C types, only the headers
/// they read (names lower-cased).
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    /// Basic-auth credentials when the client sent any.
    public var credentials: (user: String, password: String)?

    public init(method: String, path: String, headers: [String: String] = [:],
                credentials: (user: String, password: String)? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.credentials = credentials
    }

    /// The headers the routes read; the server copies only these.
    public static let interestingHeaders = [
        "accept", "accept-encoding", "x-prometheus-scrape-timeout-seconds",
    ]
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// Owned bytes, so a rendered body reaches libmicrohttpd without a copy.
    public var body: OwnedBytes
    /// Set for a 401: the realm of the `WWW-Authenticate: Basic` challenge.
    public var basicAuthRealm: String?
    /// When set, the body is made as it is sent (chunked, no length) and
    /// `body` is not used.
    public var stream: (any HTTPBodyStream)?

    public init(status: Int, headers: [(String, String)] = [], body: OwnedBytes, basicAuthRealm: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.basicAuthRealm = basicAuthRealm
    }

    public init(status: Int, headers: [(String, String)] = [], bytes: [UInt8], basicAuthRealm: String? = nil) {
        self.init(status: status, headers: headers, body: OwnedBytes(bytes), basicAuthRealm: basicAuthRealm)
    }

    public init(status: Int, headers: [(String, String)] = [], stream: any HTTPBodyStream) {
        self.init(status: status, headers: headers, bytes: [])
        self.stream = stream
    }

    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], bytes: Array(text.utf8))
    }
}

/// A body made as it is sent: the server asks for the next bytes whenever the
/// socket can take more, from one thread at a time.
public protocol HTTPBodyStream: AnyObject, Sendable {
    /// Copies the next bytes into `buffer`; 0 once the body ended.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// Answers requests; called on libmicrohttpd's connection threads.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse
}
