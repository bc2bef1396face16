internal import CMicroHTTPD
import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Limits that keep slow or hostile clients from starving scrapes (SPEC §4).
public struct HTTPServerLimits: Sendable {
    /// Connections beyond this are refused at accept.
    public var connectionLimit: Int = 1000
    /// An idle connection is closed after this many seconds.
    public var idleTimeoutSeconds: Int = 60
    /// Memory per connection; a request whose headers do not fit is refused.
    public var connectionMemoryBytes: Int = 64 * 1024
    /// Every request, the first on a connection or a later one, must arrive
    /// whole within this many seconds of its first byte, however it
    /// dribbles: an idle timeout alone is reset by every byte.
    public var requestReadTimeoutSeconds: Double = 10

    public init() {}
}

/// The one place that calls libmicrohttpd: a thread per connection with an
/// internal poll() thread (select() refuses fds ≥ 1024), answering through an
/// `HTTPHandler`. The daemon is stopped in `stop()` or deinit.
public final class HTTPServer: Sendable {
    public let port: UInt16
    // The daemon pointer is written once in init and read only by stop(),
    // guarded by the mutex: that is why the class may be shared.
    private let daemon: Lock<OpaquePointer?>
    private let context: Unmanaged<Context>

    /// What the C callbacks reach through their `cls` pointer.
    final class Context: Sendable {
        let handler: any HTTPHandler
        let logger: Logger
        let deadlines: ConnectionDeadlines
        let clientAuth: WebConfig.ClientAuth
        init(handler: any HTTPHandler, logger: Logger, deadlines: ConnectionDeadlines, clientAuth: WebConfig.ClientAuth) {
            self.handler = handler
            self.logger = logger
            self.deadlines = deadlines
            self.clientAuth = clientAuth
        }
    }

    /// TLS key material handed to libmicrohttpd; freed after the daemon stops.
    private struct TLSStrings: @unchecked Sendable {  // owned here, read only by MHD while it runs
        let key: UnsafeMutablePointer<CChar>
        let certificate: UnsafeMutablePointer<CChar>
        let priorities: UnsafeMutablePointer<CChar>
        /// The client CAs, when client certificates are asked for.
        let trust: UnsafeMutablePointer<CChar>?
        func free() { Glibc.free(key); Glibc.free(certificate); Glibc.free(priorities); Glibc.free(trust) }
    }
    private let tlsStrings: TLSStrings?
    /// Dispatch sources are thread-safe; the protocol type just isn't marked so.
    private struct Sweeper: @unchecked Sendable { let timer: any DispatchSourceTimer }
    private let sweeper: Sweeper

    public init(address: ListenAddress, limits: HTTPServerLimits = HTTPServerLimits(), tls: WebConfig.TLS? = nil,
                handler: any HTTPHandler, logger: Logger) throws(ConfigurationError) {
        signal(SIGPIPE, SIG_IGN)
        Self.raiseFileLimit()
        let (fd, port) = try ListenSocket.open(address)
        let socketIdentity = ListenSocket.Identity(fd)
        self.port = port
        let deadlines = ConnectionDeadlines(
            requestSeconds: limits.requestReadTimeoutSeconds, idleSeconds: Double(limits.idleTimeoutSeconds))
        let context = Unmanaged.passRetained(Context(handler: handler, logger: logger, deadlines: deadlines,
                                                     clientAuth: tls?.clientAuth ?? .none))
        self.context = context
        HTTPServer.errorLogger.withLock { $0 = ErrorLogState(logger: logger) }
        tlsStrings = tls.map {
            TLSStrings(key: strdup($0.keyPEM), certificate: strdup($0.certificatePEM), priorities: strdup($0.priorities),
                       trust: $0.clientAuth == .none ? nil : $0.clientCAPEM.map { strdup($0) })
        }

        var options: [MHD_OptionItem] = [
            // The logger goes first so that errors in later options reach it.
            MHD_OptionItem(option: .EXTERNAL_LOGGER, value: Int(bitPattern: cinder_mhd_logger_function()),
                           ptr_value: unsafeBitCast(HTTPServer.logLine, to: UnsafeMutableRawPointer.self)),
            MHD_OptionItem(option: .LISTEN_SOCKET, value: Int(fd), ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_LIMIT, value: limits.connectionLimit, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: limits.idleTimeoutSeconds, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_MEMORY_LIMIT, value: limits.connectionMemoryBytes, ptr_value: nil),
            MHD_OptionItem(option: .NOTIFY_CONNECTION, value: Int(bitPattern: unsafeBitCast(HTTPServer.connectionNotice, to: UnsafeRawPointer.self)),
                           ptr_value: context.toOpaque()),
            MHD_OptionItem(option: .NOTIFY_COMPLETED, value: Int(bitPattern: unsafeBitCast(HTTPServer.requestCompleted, to: UnsafeRawPointer.self)),
                           ptr_value: context.toOpaque()),
        ]
        var flags = MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_POLL.rawValue | MHD_USE_ERROR_LOG.rawValue
        if let tlsStrings {
            flags |= MHD_USE_TLS.rawValue
            options += [
                MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: UnsafeMutableRawPointer(tlsStrings.key)),
                MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: UnsafeMutableRawPointer(tlsStrings.certificate)),
                // TLS 1.0 and 1.1 are on by default: always say which versions.
                MHD_OptionItem(option: .HTTPS_PRIORITIES, value: 0, ptr_value: UnsafeMutableRawPointer(tlsStrings.priorities)),
            ]
            if let trust = tlsStrings.trust {
                // libmicrohttpd then asks every client for a certificate; the
                // access handler verifies it (cinder_mhd_verify_client_certificate).
                options.append(MHD_OptionItem(option: .HTTPS_MEM_TRUST, value: 0, ptr_value: UnsafeMutableRawPointer(trust)))
            }
        }
        options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
        let started = options.withUnsafeMutableBufferPointer { buffer in
            cinder_mhd_start_daemon(flags, HTTPServer.accessHandler, context.toOpaque(), buffer.baseAddress)
        }
        guard let started else {
            ListenSocket.closeAfterFailedStart(fd, identity: socketIdentity)
            context.release()
            tlsStrings?.free()
            throw ConfigurationError("cannot start the HTTP server on \(address)\(tls == nil ? "" : " with TLS") (see the log line before this one)")
        }
        daemon = Lock(started)
        HTTPServer.errorLogger.withLock { $0.running = true }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "cinder-exporter.http.sweeper"))
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { deadlines.closeExpired() }
        timer.resume()
        sweeper = Sweeper(timer: timer)
    }

    /// Each connection needs a descriptor: lift the soft limit to the hard one.
    private static func raiseFileLimit() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    public func stop() {
        daemon.withLock { daemon in
            guard let running = daemon else { return }
            sweeper.timer.cancel()
            let fd = MHD_quiesce_daemon(running)
            MHD_stop_daemon(running)
            if fd >= 0 { close(fd) }
            daemon = nil
            context.release()
            tlsStrings?.free()
        }
    }

    deinit { stop() }

    // MARK: C callbacks (nonisolated statics: they run on libmicrohttpd's threads)

    /// Where libmicrohttpd's own error lines go (one daemon per process in
    /// practice). Before the daemon runs they explain a failed start (error);
    /// afterwards they are per-connection noise from clients (debug).
    private struct ErrorLogState {
        var logger: Logger?
        var running = false
        var handshakes = HandshakeFailures()
    }
    private static let errorLogger = Lock(ErrorLogState())

    private static let logLine: cinder_mhd_line_logger = { line in
        guard let line else { return }
        var text = String(cString: line)
        while text.last == "\n" { text.removeLast() }
        errorLogger.withLock { state in
            // A failed TLS handshake is most often plain HTTP sent to this
            // HTTPS port: libmicrohttpd 0.9.75 can only close the connection
            // (no 400), so say so, at most once a minute.
            if state.running, HandshakeFailures.matches(text) {
                if let suppressed = state.handshakes.shouldLog(at: Clock.monotonicSeconds()) {
                    state.logger?.warning(
                        "TLS handshake failed; a client may be sending plain HTTP to this HTTPS port (use https://, scheme: https in Prometheus); the connection was closed without an answer",
                        metadata: ["message": "\(text)", "suppressed_since_last": "\(suppressed)",
                                   "note": "logged at most once a minute"])
                }
                return
            }
            state.logger?.log(level: state.running ? .debug : .error, "libmicrohttpd", metadata: ["message": "\(text)"])
        }
    }

    /// A marker for "this request has been seen once": answering on the second
    /// call keeps the connection alive (answering on the first closes it).
    private static var requestSeen: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    private static let accessHandler: MHD_AccessHandlerCallback = {
        cls, connection, url, method, _, _, uploadSize, requestContext in
        guard let cls, let connection, let requestContext else { return .NO }
        if requestContext.pointee == nil {
            requestContext.pointee = requestSeen
            return .YES
        }
        // A body (never expected): discard it as it arrives; answer when it ends.
        if let uploadSize, uploadSize.pointee != 0 {
            uploadSize.pointee = 0
            return .YES
        }
        let context = Unmanaged<Context>.fromOpaque(cls).takeUnretainedValue()
        if context.clientAuth != .none {
            let verified = cinder_mhd_verify_client_certificate(connection)
            if verified < 0 || (verified == 0 && context.clientAuth == .requireAndVerify) {
                context.deadlines.requestReceived(fd: cinder_mhd_connection_fd(connection))
                return queue(.text(403, "Forbidden: a client certificate signed by client_ca_file is required.\n"), on: connection)
            }
        }
        var request = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "",
            path: url.map { String(cString: $0) } ?? "/")
        for name in HTTPRequest.interestingHeaders {
            if let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) {
                request.headers[name] = String(cString: value)
            }
        }
        if MHD_lookup_connection_value(connection, .HEADER_KIND, "authorization") != nil {
            var password: UnsafeMutablePointer<CChar>?
            if let user = MHD_basic_auth_get_username_password(connection, &password) {
                request.credentials = (String(cString: user), password.map { String(cString: $0) } ?? "")
                MHD_free(user)
                if let password { MHD_free(password) }
            }
        }
        let fd = cinder_mhd_connection_fd(connection)
        context.deadlines.requestReceived(fd: fd)
        let response = context.handler.handle(request)
        return queue(response, on: connection)
    }

    private static let releaseBody: MHD_ContentReaderFreeCallback = { cls in
        guard let cls else { return }
        Unmanaged<OwnedBytes>.fromOpaque(cls).release()
    }

    private static let connectionNotice: MHD_NotifyConnectionCallback = { cls, connection, _, code in
        guard let cls, let connection else { return }
        let context = Unmanaged<Context>.fromOpaque(cls).takeUnretainedValue()
        let fd = cinder_mhd_connection_fd(connection)
        if code == .CONNECTION_NOTIFY_STARTED {
            context.deadlines.opened(fd: fd)
        } else if code == .CONNECTION_NOTIFY_CLOSED {
            context.deadlines.closed(fd: fd)
        }
    }

    private static let requestCompleted: MHD_RequestCompletedCallback = { cls, connection, _, _ in
        guard let cls, let connection else { return }
        let context = Unmanaged<Context>.fromOpaque(cls).takeUnretainedValue()
        context.deadlines.responseSent(fd: cinder_mhd_connection_fd(connection))
    }

    /// Holds a streamed body for libmicrohttpd (an existential cannot be
    /// passed as an unmanaged pointer itself).
    private final class StreamedBody {
        let stream: any HTTPBodyStream
        init(_ stream: any HTTPBodyStream) { self.stream = stream }
    }

    private static let readStream: MHD_ContentReaderCallback = { cls, _, buffer, max in
        guard let cls, let buffer else { return -2 }  // MHD_CONTENT_READER_END_WITH_ERROR
        let body = Unmanaged<StreamedBody>.fromOpaque(cls).takeUnretainedValue()
        let count = body.stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
        return count > 0 ? count : -1  // MHD_CONTENT_READER_END_OF_STREAM
    }

    private static let releaseStream: MHD_ContentReaderFreeCallback = { cls in
        guard let cls else { return }
        Unmanaged<StreamedBody>.fromOpaque(cls).release()
    }

    /// A response for `response`'s bytes, or for its stream: libmicrohttpd
    /// keeps either until it is sent, then calls the release callback; the
    /// retain taken here is what keeps it alive until then.
    private static func makeResponse(_ response: HTTPResponse) -> OpaquePointer? {
        if let stream = response.stream {
            let owner = Unmanaged.passRetained(StreamedBody(stream))
            // Size unknown: chunked for HTTP/1.1, closed at the end for 1.0.
            guard let created = MHD_create_response_from_callback(
                UInt64.max, 64 * 1024, HTTPServer.readStream, owner.toOpaque(), HTTPServer.releaseStream)
            else {
                owner.release()
                return nil
            }
            return created
        }
        let owner = Unmanaged.passRetained(response.body)
        guard let created = MHD_create_response_from_buffer_with_free_callback_cls(
            response.body.count, response.body.base, HTTPServer.releaseBody, owner.toOpaque())
        else {
            owner.release()
            return nil
        }
        return created
    }

    private static func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        guard let created = makeResponse(response) else { return .NO }
        defer { MHD_destroy_response(created) }
        for (name, value) in response.headers {
            MHD_add_response_header(created, name, value)
        }
        if let realm = response.basicAuthRealm {
            return MHD_queue_basic_auth_fail_response(connection, realm, created)
        }
        return MHD_queue_response(connection, UInt32(response.status), created)
    }
}

/// Rate limit for the "TLS handshake failed" warning: the first one, then at
/// most one a minute, each saying how many were left out since the last.
struct HandshakeFailures {
    static let intervalSeconds = 60.0
    private var lastLogged: Double?
    private var suppressed = 0

    /// libmicrohttpd's line for a failed handshake ("Error: received handshake
    /// message out of context." in 0.9.75, GnuTLS's own wording elsewhere).
    static func matches(_ message: String) -> Bool {
        message.lowercased().contains("handshake")
    }

    /// The number left out since the last warning when this one is to be
    /// logged, else nil (and it is counted).
    mutating func shouldLog(at now: Double) -> Int? {
        if let lastLogged, now - lastLogged < Self.intervalSeconds {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed
    }
}
