import XCTest

/// Samples of a text exposition keyed by `name{labels}` exactly as written.
struct ParsedExposition {
    let samples: [String: String]
    let lines: [String]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var samples: [String: String] = [:]
        for line in lines where !line.hasPrefix("#") && !line.isEmpty {
            // The value follows the last space (label values may hold spaces).
            let space = line.lastIndex(of: " ")!
            samples[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        self.samples = samples
    }

    func value(_ key: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        samples[key]
    }

    func names(withPrefix prefix: String) -> [String] {
        samples.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }
}

/// The service label block the exporter writes, for building expected keys.
func serviceKey(_ name: String, host: String, binary: String, zone: String = "nova", cluster: String = "") -> String {
    "\(name){host=\"\(host)\",binary=\"\(binary)\",zone=\"\(zone)\",cluster=\"\(cluster)\"}"
}

/// Runs `promtool check metrics` on an exposition; returns its exit status and output.
func promtoolCheckMetrics(_ exposition: [UInt8]) throws -> (status: Int32, output: String) {
    guard let promtool = ProcessResult.which("promtool") else {
        XCTFail("promtool is not installed (apt-get install --no-install-recommends prometheus)")
        return (-1, "")
    }
    let result = try ProcessResult.run(promtool, ["check", "metrics"], stdin: String(decoding: exposition, as: UTF8.self))
    return (result.status, result.stdout + result.stderr)
}
