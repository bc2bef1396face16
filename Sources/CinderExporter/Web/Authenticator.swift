
/// Checks basic-auth credentials against bcrypt hashes. A bcrypt check costs
/// tens of milliseconds by design, so successful checks are remembered (a
/// bounded set); unknown users are checked against a dummy hash so that the
/// answer time does not reveal which users exist.
public final class Authenticator: Sendable {
    private let users: [String: String]
    private let verified = Lock<[String: String]>([:])  // user → password that passed
    private static let cacheLimit = 64
    /// bcrypt("unused", cost 10): makes an unknown user cost what a known one does.
    private static let dummyHash = "$2y$10$abcdefghijklmnopqrstuuV4e6QsHWTDYdlbbzkVmoqfSCNDcDT3K"

    public init(users: [String: String]) {
        self.users = users
    }

    public var isEnabled: Bool { !users.isEmpty }

    public func check(user: String, password: String) -> Bool {
        if let remembered = verified.withLock({ $0[user] }),
           BCrypt.constantTimeEquals(Array(remembered.utf8), Array(password.utf8)) {
            return true
        }
        guard let hash = users[user] else {
            _ = BCrypt.verify(password: password, hash: Self.dummyHash)
            return false
        }
        guard BCrypt.verify(password: password, hash: hash) else { return false }
        verified.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[user] = password
        }
        return true
    }
}

/// Puts every route behind basic auth when users are configured (SPEC §4:
/// the landing page and health endpoints too).
public struct AuthenticatingHandler: HTTPHandler {
    public let authenticator: Authenticator
    public let inner: any HTTPHandler

    public init(authenticator: Authenticator, inner: any HTTPHandler) {
        self.authenticator = authenticator
        self.inner = inner
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard authenticator.isEnabled else { return inner.handle(request) }
        guard let credentials = request.credentials,
              authenticator.check(user: credentials.user, password: credentials.password) else {
            var response = HTTPResponse.text(401, "Unauthorized.\n")
            response.basicAuthRealm = "cinder-exporter"
            return response
        }
        return inner.handle(request)
    }
}
