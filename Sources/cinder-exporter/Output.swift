import CinderExporter
#if canImport(Glibc)
import Glibc
#endif

enum Output {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    static func temporaryDirectory() throws(ConfigurationError) -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/cinder-exporter-demo.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ConfigurationError("cannot create a temporary folder under \(base)")
        }
        return String(cString: made)
    }
}
