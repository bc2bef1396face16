/// `--web.listen-address`: `HOST:PORT`, `:PORT` (every address), `[v6]:PORT`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Empty means every address (IPv6 and IPv4).
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ConfigurationError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ConfigurationError("listen address \"\(text)\" has no port (expected HOST:PORT or :PORT)")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = UInt16(portText) else {
            throw ConfigurationError("listen address \"\(text)\": port \"\(portText)\" is not a number from 0 to 65535")
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else {
                throw ConfigurationError("listen address \"\(text)\": unbalanced brackets")
            }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw ConfigurationError("listen address \"\(text)\": write IPv6 addresses in brackets, e.g. [::1]:9876")
        }
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Bad input that cannot fix itself: start-up stops with this message and exit 2.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
