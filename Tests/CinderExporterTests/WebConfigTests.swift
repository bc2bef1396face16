import CinderExporter
import XCTest

/// `WebConfig.parse` from literal text: what it accepts and the one line it
/// says about what it refuses (HTTPHardeningTests runs the same through the binary).
final class WebConfigTests: XCTestCase {
    private let hash = "$2b$10$0123456789abcdefghijke9ORJj3oxHORehl3kCDiTb7DE.M1QRDi"

    private func message(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try WebConfig.parse(text, relativeTo: "/nonexistent", name: "web.yml")
            XCTFail("accepted: \(text.debugDescription)", file: file, line: line)
            return ""
        } catch {
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
            return error.message
        }
    }

    func testEmptyAndNullSectionsAreNoConfig() throws {
        for text in ["", "# nothing\n", "tls_server_config:\nbasic_auth_users: ~\n"] {
            XCTAssertEqual(try WebConfig.parse(text, relativeTo: "."), WebConfig(), text)
        }
    }

    func testBasicAuthUsersInEveryYAMLSpelling() throws {
        let block = try WebConfig.parse("basic_auth_users:\n  alice: \(hash)\n  \"bob\": '\(hash)'\n", relativeTo: ".")
        let flow = try WebConfig.parse("{basic_auth_users: {alice: \"\(hash)\", bob: \(hash)}}", relativeTo: ".")
        XCTAssertEqual(block.basicAuthUsers, ["alice": hash, "bob": hash])
        XCTAssertEqual(flow, block)
    }

    func testMessages() {
        XCTAssertEqual(message("basic_auth_users: [unclosed"), "web.yml is not valid YAML: line 2, column 1: did not find expected ',' "
                       + "or ']' (while parsing a flow sequence at line 1, column 19)")
        XCTAssertEqual(message("- a\n"), "web.yml: expected a mapping at the top level")
        XCTAssertEqual(message("---\n"), "web.yml: expected a mapping at the top level", "a document that is null (Yams said the same)")
        XCTAssertEqual(message("basic_auth_user:\n  alice: x\n"),
                       "web.yml: unsupported key \"basic_auth_user\" (supported: tls_server_config, basic_auth_users)")
        XCTAssertEqual(message("\"a\\nb\": 1\n"), "web.yml: unsupported key \"a\\nb\" (supported: tls_server_config, basic_auth_users)",
                       "an odd key is escaped, so the message stays one line")
        XCTAssertEqual(message("basic_auth_users: [alice]\n"), "web.yml: basic_auth_users must map user names to bcrypt hashes")
        XCTAssertEqual(message("basic_auth_users:\n  alice: secret\n"),
                       "web.yml: the password of user \"alice\" is not a bcrypt hash ($2y$, $2b$ or $2a$)")
        XCTAssertEqual(message("basic_auth_users:\n  alice: [\(hash)]\n"),
                       "web.yml: the password of user \"alice\" is not a bcrypt hash ($2y$, $2b$ or $2a$)")
        XCTAssertEqual(message("basic_auth_users:\n  alice: \(hash)\n  alice: \(hash)\n"),
                       "web.yml is not valid YAML: line 3, column 3: duplicate key \"alice\"")
        XCTAssertEqual(message("tls_server_config: yes\n"), "web.yml: tls_server_config must be a mapping")
        XCTAssertEqual(message("tls_server_config:\n  cert_file: a\n  key_file: b\n  ca_file: c\n"),
                       "web.yml: unsupported tls_server_config key \"ca_file\" (supported: cert_file, key_file, min_version, "
                       + "max_version, client_ca_file, client_auth_type)")
        XCTAssertEqual(message("tls_server_config:\n  cert_file:\n  key_file: b\n"),
                       "web.yml: tls_server_config needs both cert_file and key_file", "a null cert_file is no cert_file")
        XCTAssertEqual(message("tls_server_config:\n  cert_file: [a]\n  key_file: b\n"),
                       "web.yml: tls_server_config cert_file must be a single value, not a list or a mapping")
        XCTAssertEqual(message("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS11\n"),
                       "web.yml: min_version \"TLS11\" is not supported (TLS12 or TLS13)")
        XCTAssertEqual(message("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n"),
                       "web.yml: min_version is above max_version")
        XCTAssertEqual(message("tls_server_config:\n  cert_file: a\n  key_file: b\n"),
                       "web.yml: cannot read a PEM certificate from /nonexistent/a")
        XCTAssertEqual(message("defaults: &d {cert_file: a, key_file: b}\ntls_server_config: *d\n"),
                       "web.yml: unsupported key \"defaults\" (supported: tls_server_config, basic_auth_users)")
        XCTAssertEqual(message("tls_server_config:\n  <<: {cert_file: a, key_file: b, cipher_suites: [x]}\n"),
                       "web.yml: unsupported tls_server_config key \"cipher_suites\" (supported: cert_file, key_file, min_version, "
                       + "max_version, client_ca_file, client_auth_type)", "merged keys are as strict as written ones")
    }
}
