import Foundation
import XCTest

/// A throwaway certificate authority made with openssl, and certificates it
/// signs (EC P-256: quick to make). Files live in the caller's directory.
struct TestCA {
    let directory: String
    let name: String
    var certificate: String { directory + "/\(name).pem" }
    var key: String { directory + "/\(name).key" }

    /// A new self-signed CA named `name` in `directory`.
    init(name: String, in directory: String) throws {
        self.directory = directory
        self.name = name
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", directory + "/\(name).key", "-out", directory + "/\(name).pem", "-days", "2",
                          "-subj", "/CN=\(name)"])
    }

    /// A certificate signed by this CA: for a server, `altNames` such as
    /// `IP:127.0.0.1,DNS:localhost`; nil makes a client certificate.
    /// Returns the certificate and key paths.
    @discardableResult
    func issue(_ name: String, altNames: String? = nil) throws -> (cert: String, key: String) {
        let cert = directory + "/\(name).pem", key = directory + "/\(name).key", request = directory + "/\(name).csr"
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", key, "-out", request, "-subj", "/CN=\(name)"])
        let extensions = directory + "/\(name).ext"
        let usage = altNames == nil ? "extendedKeyUsage=clientAuth" : "extendedKeyUsage=serverAuth\nsubjectAltName=\(altNames!)"
        try (usage + "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.openssl(["x509", "-req", "-in", request, "-CA", certificate, "-CAkey", self.key, "-CAcreateserial",
                          "-out", cert, "-days", "2", "-extfile", extensions])
        return (cert, key)
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try ProcessResult.run(try Tools.require("openssl"), arguments)
        guard result.status == 0 else { throw MissingTool(name: "openssl failed: \(result.stderr)") }
    }
}
