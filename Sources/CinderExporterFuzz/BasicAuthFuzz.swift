import CinderExporter

/// Basic auth as far as it is Swift: `AuthenticatingHandler` and
/// `Authenticator.check` (bcrypt through libxcrypt, the cache of verified
/// passwords). libmicrohttpd decodes the `Authorization` header and hands
/// user and password over as C strings, so the input is cut at its first NUL
/// and split at its first `:` (RFC 7617: a user-id holds no colon), and bad
/// UTF-8 is repaired as `String(cString:)` repairs it.
///
/// The first byte chooses whether the right password was accepted (and so
/// cached) before this request. Either way a request passes exactly when its
/// password has the configured password's bytes. Users other than the two
/// configured ones are mapped to `alice`: an unknown user only costs a dummy
/// bcrypt check at cost 10 (50 ms), which would starve the fuzzer.
enum BasicAuthFuzz {
    static let name = "basic-auth"

    /// bcrypt at cost 4 (16 rounds), so a wrong password costs about a millisecond.
    static let passwords = ["alice": "correct horse battery staple", "bob": ""]
    static let hashes = [
        "alice": "$2b$04$Z980qhzH5n/FJ3l1YZ2SGOWhryhQBdLnbIprLHoGR4hjTSzZ2OPpq",
        "bob": "$2b$04$mTc2622DljQFVQ4sWVDj5.O6Fo0Kq6dX2sQsXgxmDvnuMCvwqdU56",
    ]

    struct Inner: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HTTPResponse { .text(200, "ok\n") }
    }

    static let target = FuzzTarget(name: name, summary: "AuthenticatingHandler.handle, Authenticator.check") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        guard let first = bytes.first else { return }
        let cString = bytes.dropFirst().prefix { $0 != 0 }
        let colon = cString.firstIndex(of: UInt8(ascii: ":"))
        var user = repaired(cString[..<(colon ?? cString.endIndex)])
        let password = colon.map { repaired(cString[cString.index(after: $0)...]) } ?? ""
        if passwords[user] == nil { user = "alice" }

        let authenticator = Authenticator(users: hashes)
        let handler = AuthenticatingHandler(authenticator: authenticator, inner: Inner())
        if first & 1 == 1 {
            try check(authenticator.check(user: user, password: passwords[user]!), name, "the right password of \(user) was refused")
        }
        let expected = Array(password.utf8) == Array(passwords[user]!.utf8)
        for attempt in 1...2 {
            let response = handler.handle(HTTPRequest(method: "GET", path: "/metrics", credentials: (user, password)))
            try check((response.status == 200) == expected, name,
                      "attempt \(attempt): user \(user) with password \(password.debugDescription) got \(response.status)")
            try check(response.status == 200 || (response.status == 401 && response.basicAuthRealm != nil), name,
                      "a refusal without a 401 challenge")
        }
        let anonymous = handler.handle(HTTPRequest(method: "GET", path: "/metrics"))
        try check(anonymous.status == 401, name, "a request without credentials got \(anonymous.status)")
    }
}
