import ArgumentParser
import CinderExporter
#if canImport(Glibc)
import Glibc
#endif

// Bad input stops start-up with one stderr line and exit 2 (SPEC §3); help and
// --version print as usual; a command's own ExitCode passes through.
do {
    var command = try CinderExporterCommand.parseAsRoot()
    try command.run()
} catch let error as ConfigurationError {
    StandardError.write("cinder-exporter: \(error.message)\n")
    exit(2)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = CinderExporterCommand.exitCode(for: error)
    if code == .success {
        CinderExporterCommand.exit(withError: error)
    }
    let message = CinderExporterCommand.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
    StandardError.write("cinder-exporter: \(message)\n")
    exit(2)
}
