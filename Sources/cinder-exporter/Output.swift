import ArgumentParser
import CinderExporter
#if canImport(Glibc)
import Glibc
#endif

enum Output {
    /// Writes all of `bytes` to stdout. Output that cannot be written (a full
    /// disk, a closed descriptor) is one stderr line and exit 1 (SPEC §3),
    /// never exit 0 with a truncated exposition. Interrupted writes are
    /// retried; a non-blocking stdout is waited on.
    static func write(_ bytes: [UInt8], what: String) throws(ExitCode) {
        let failure: Int32? = bytes.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                    continue
                }
                if written < 0, errno == EINTR { continue }
                if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    var descriptor = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&descriptor, 1, -1)
                    continue
                }
                return written < 0 ? errno : EIO
            }
            return nil
        }
        guard let failure else { return }
        StandardError.write("cinder-exporter: cannot write \(what) to stdout: \(String(cString: strerror(failure)))\n")
        throw ExitCode(1)
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
