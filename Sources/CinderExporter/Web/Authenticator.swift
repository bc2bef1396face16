import Dispatch

/// Checks basic-auth credentials against bcrypt hashes. A bcrypt check costs
/// tens of milliseconds by design, so successful checks are remembered (a
/// bounded set) and cost a comparison; unknown users are checked against a
/// dummy hash so that the answer time does not reveal which users exist.
/// bcrypt runs one at a time (as exporter-toolkit serialises it): a flood of
/// wrong passwords then queues instead of taking every core from scrapes and
/// from clients whose credentials are remembered.
public final class Authenticator: Sendable {
    private let users: [String: String]
    private let verified = Lock<[String: String]>([:])  // user → password that passed
    private static let cacheLimit = 64
    /// bcrypt("unused", cost 10): makes an unknown user cost what a known one does.
    private static let dummyHash = "$2y$10$abcdefghijklmnopqrstuuV4e6QsHWTDYdlbbzkVmoqfSCNDcDT3K"
    let gate: BCryptGate

    /// `concurrentChecks` bcrypt computations run at once; a check that
    /// finds no free slot within `waitSeconds` is refused.
    public init(users: [String: String], concurrentChecks: Int = 1, waitSeconds: Double = 10) {
        self.users = users
        gate = BCryptGate(limit: concurrentChecks, waitSeconds: waitSeconds)
    }

    public var isEnabled: Bool { !users.isEmpty }

    public func check(user: String, password: String) -> Bool {
        if let remembered = verified.withLock({ $0[user] }),
           BCrypt.constantTimeEquals(Array(remembered.utf8), Array(password.utf8)) {
            return true
        }
        guard let hash = users[user] else {
            _ = gate.run { BCrypt.verify(password: password, hash: Self.dummyHash) }
            return false
        }
        guard gate.run({ BCrypt.verify(password: password, hash: hash) }) == true else { return false }
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

/// Bounds how many bcrypt computations run at once, and remembers the most
/// that ever did (`peak`, for tests).
final class BCryptGate: Sendable {
    private let slots: DispatchSemaphore
    private let waitSeconds: Double
    private let counts = Lock<(inFlight: Int, peak: Int)>((0, 0))

    init(limit: Int, waitSeconds: Double) {
        slots = DispatchSemaphore(value: max(1, limit))
        self.waitSeconds = waitSeconds
    }

    /// `body`'s result, or nil when no slot came free in time.
    func run<T>(_ body: () -> T) -> T? {
        guard slots.wait(timeout: .now() + .nanoseconds(Int(waitSeconds * 1e9))) == .success else { return nil }
        defer {
            counts.withLock { $0.inFlight -= 1 }
            slots.signal()
        }
        counts.withLock { counts in
            counts.inFlight += 1
            counts.peak = max(counts.peak, counts.inFlight)
        }
        return body()
    }

    var peak: Int { counts.withLock { $0.peak } }
}
