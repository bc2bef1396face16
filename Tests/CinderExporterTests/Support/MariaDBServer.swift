import Foundation
import XCTest

/// A real, throwaway MariaDB server for one test: `mariadb-install-db` into a
/// temporary data directory, then `mariadbd --no-defaults` on its own socket
/// and a free loopback port. `stop()` (call it in tearDown) ends it and
/// removes the directory. A missing server binary is an error, never a skip.
final class MariaDBServer {
    let directory: String
    let dataDirectory: String
    let socketPath: String
    let port: UInt16
    /// Added to mariadbd's command line (e.g. TLS options).
    let extraArguments: [String]
    private var process: Process?

    enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case failed(String)
        var description: String {
            switch self {
            case .missing(let what): return "\(what) not found: install mariadb-server and mariadb-client (apt-get install --no-install-recommends mariadb-server mariadb-client)"
            case .failed(let what): return what
            }
        }
    }

    init(extraArguments: [String] = []) throws {
        self.extraArguments = extraArguments
        var template = Array("/tmp/cinder-mariadb-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure.failed("mkdtemp failed") }
        directory = String(cString: made)
        dataDirectory = directory + "/data"
        socketPath = directory + "/sock"
        port = try Self.freeLoopbackPort()
        do {
            let install = try Self.tool("mariadb-install-db")
            let result = try Self.run(install, [
                "--no-defaults", "--datadir=\(dataDirectory)", "--auth-root-authentication-method=normal",
                "--user=\(Self.userName)", "--skip-test-db",
            ])
            guard result.status == 0 else {
                throw Failure.failed("mariadb-install-db failed (\(result.status)): \(result.output.suffix(2000))")
            }
            try start()
        } catch {
            stop()
            throw error
        }
    }

    /// The user to run mariadbd as: root must name itself, anyone else runs as themselves.
    private static var userName: String {
        getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "root"
    }

    /// Starts mariadbd on this data directory, socket and port; returns when it answers.
    func start() throws {
        let server = try Self.tool("mariadbd")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = [
            "--no-defaults", "--datadir=\(dataDirectory)", "--socket=\(socketPath)", "--port=\(port)",
            "--bind-address=127.0.0.1", "--user=\(Self.userName)", "--pid-file=\(directory)/pid",
            "--log-error=\(directory)/error.log", "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
            "--skip-log-bin", "--character-set-server=utf8mb4",
        ] + extraArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning {
                throw Failure.failed("mariadbd exited (\(process.terminationStatus)): \(errorLog.suffix(3000))")
            }
            if FileManager.default.fileExists(atPath: socketPath), (try? sql("SELECT 1")) != nil { return }
            usleep(50_000)
        }
        throw Failure.failed("mariadbd did not answer within 60 s: \(errorLog.suffix(3000))")
    }

    /// SIGKILL, as a crash or an OOM kill would end it; the data directory stays.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: it keeps its sockets but answers nothing.
    func pause(_ paused: Bool) {
        guard let process, process.isRunning else { return }
        let pid = process.processIdentifier
        Foundation.kill(pid, paused ? SIGSTOP : SIGCONT)
        guard paused else { return }
        // kill() only queues the signal: a thread already on a CPU may still
        // answer one query. Wait until every thread is stopped ('T').
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let stopped = tasks.allSatisfy { task in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return true }
                return stat[stat.index(close, offsetBy: 2)] == "T"
            }
            if !tasks.isEmpty, stopped { return }
            usleep(1_000)
        }
    }

    /// Ends the server and removes its directory.
    func stop() {
        if let process, process.isRunning {
            Foundation.kill(process.processIdentifier, SIGCONT)
            process.terminate()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    var errorLog: String {
        (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "(no error log)"
    }

    /// Runs SQL as root through the socket with the `mariadb` client; returns
    /// its tab-separated output.
    @discardableResult
    func sql(_ statements: String, database: String? = nil) throws -> String {
        let client = try Self.tool("mariadb")
        var arguments = ["--no-defaults", "--protocol=socket", "--socket=\(socketPath)", "--user=root",
                         "--batch", "--skip-column-names", "--default-character-set=utf8mb4"]
        if let database { arguments.append("--database=\(database)") }
        let result = try Self.run(client, arguments, input: statements)
        guard result.status == 0 else { throw Failure.failed("mariadb client failed: \(result.output)") }
        return result.output
    }

    // MARK: - helpers

    /// A tool on PATH or in the sbin directories Debian puts mariadbd in.
    static func tool(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw Failure.missing(name)
    }

    private static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            // Write from another thread so a large script cannot dead-lock against the output pipe.
            let writer = stdin.fileHandleForWriting
            let data = Data(input.utf8)
            let thread = Thread {
                writer.write(data)
                try? writer.close()
            }
            thread.start()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Binds 127.0.0.1:0, reads the port the kernel chose and closes it again.
    private static func freeLoopbackPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.failed("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Int32 in
                guard bind(descriptor, generic, length) == 0 else { return -1 }
                return getsockname(descriptor, generic, &length)
            }
        }
        guard bound == 0 else { throw Failure.failed("cannot bind a loopback port") }
        return UInt16(bigEndian: address.sin_port)
    }
}
