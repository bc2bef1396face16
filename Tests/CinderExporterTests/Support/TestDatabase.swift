@testable import CinderExporter
import Foundation

/// A real SQLite Cinder database built by the test (SPEC §1 columns plus a
/// newer one the exporter must tolerate), written through the same SQLite
/// wrapper the product uses.
final class TestDatabase {
    let directory: String
    let path: String
    let connection: SQLiteConnection

    init(file: String = "cinder.sqlite") throws {
        directory = NSTemporaryDirectory() + "cinder-exporter-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/" + file
        connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 5000)
        try connection.execute(DemoDatabase.schema)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var url: String { "sqlite:///" + path }

    /// Inserts one row; unspecified columns are NULL except the ones Cinder
    /// always fills.
    @discardableResult
    func insert(_ columns: [String: SQLiteStatement.Value]) throws -> Int64 {
        var values = columns
        if values["deleted"] == nil { values["deleted"] = .integer(0) }
        if values["report_count"] == nil { values["report_count"] = .integer(0) }
        let names = values.keys.sorted()
        let sql = "INSERT INTO services (\(names.map { "`\($0)`" }.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        let statement = try connection.prepare(sql)
        try statement.bind(names.map { values[$0]! })
        try statement.run { _ throws(DatabaseError) in }
        var id: Int64 = 0
        try connection.prepare("SELECT max(id) FROM services").run { row throws(DatabaseError) in id = row.int64(0) }
        return id
    }

    func execute(_ sql: String) throws { try connection.execute(sql) }

    /// The rows of `WorkFixture` in this database's work tables.
    func insertWorkFixture(now: Int64 = WorkFixture.now) throws {
        for statement in WorkFixture.statements(mysql: false, now: now) { try connection.execute(statement) }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` for a time `secondsAgo` before `now`.
    static func text(_ micros: Int64) -> String {
        var iso = UTCTime.isoString(micros: micros)
        iso.replaceSubrange(iso.firstIndex(of: "T")!...iso.firstIndex(of: "T")!, with: " ")
        return iso
    }
}

enum TestPaths {
    /// The folder holding the built products (the xctest bundle's folder).
    static var productsDirectory: String {
        var url = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
        while url.pathExtension == "xctest" || url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url.path
    }

    static var exporterBinary: String { productsDirectory + "/cinder-exporter" }

    /// The package root, found by walking up from this file.
    static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.path + "/Package.swift") { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }
}

/// Runs a program to completion and captures its output.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Finds a program on PATH; nil when it is not installed.
    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
