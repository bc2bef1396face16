#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics, read from /proc like client_golang does.
public struct ProcessMetrics: Sendable {
    public var cpuSeconds: Double
    public var residentBytes: Int64
    public var virtualBytes: Int64
    public var openFDs: Int64
    public var maxFDs: Int64
    public var startTimeSeconds: Double

    /// nil where /proc is unavailable; the families are then left out.
    public static func read() -> ProcessMetrics? {
        guard let stat = readFile("/proc/self/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after "comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " ")).map { Int64(String(decoding: $0, as: UTF8.self)) ?? 0 }
        guard fields.count > 21 else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
        let utime = fields[14 - 3], stime = fields[15 - 3], start = fields[22 - 3]
        let vsize = fields[23 - 3], rss = fields[24 - 3]
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return ProcessMetrics(
            cpuSeconds: Double(utime + stime) / ticks,
            residentBytes: rss * pageSize,
            virtualBytes: vsize,
            openFDs: countOpenFDs(),
            maxFDs: Int64(clamping: limit.rlim_cur),
            startTimeSeconds: bootTime + Double(start) / ticks)
    }

    /// The boot time never changes: read /proc/stat once, not on every scrape.
    private static let bootTime: Double = readBootTime()

    private static func readBootTime() -> Double {
        guard let text = readFile("/proc/stat") else { return 0 }
        for line in text.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("btime ".utf8)) {
            return Double(String(decoding: line.dropFirst(6), as: UTF8.self)) ?? 0
        }
        return 0
    }

    private static func countOpenFDs() -> Int64 {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count: Int64 = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }
}
