import CinderExporter
#if canImport(Glibc)
import Glibc
#endif

enum Output {
    /// Writes everything to stdout; false when it could not (a full disk, a closed pipe).
    @discardableResult
    static func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
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

    /// Removes the demo's own folder: the database and its journal files.
    static func removeTree(_ directory: String) {
        guard let dir = opendir(directory) else { return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(directory + "/" + name) }
        }
        closedir(dir)
        rmdir(directory)
    }
}
