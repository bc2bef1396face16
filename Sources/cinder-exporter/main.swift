import ArgumentParser
import CinderExporter
#if canImport(Glibc)
import Glibc
#endif

// Bad input stops start-up with one stderr line and exit 2 (SPEC §3); help and
// --version print as usual; a command's own ExitCode passes through.
AllocatorTuning.apply()

// `cinder-exporter --help` shows the serving flags first, as exporters do.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == ["--help"] || arguments == ["-h"] {
    print(CinderExporterCommand.helpMessage(for: Serve.self))
    print("""

        SUBCOMMANDS:
          serve (default)   Serve metrics over HTTP.
          metrics           Print one exposition to stdout and exit (1 when the table cannot be read).
          services          Print the table `cinder service-list` would show, straight from the database.
          volumes           List volumes (and snapshots, backups) in transitional statuses, oldest first.
          demo              Serve metrics for a simulated Cinder database (no Cinder needed).
        See 'cinder-exporter help <subcommand>' for each one's flags.
        """)
    exit(0)
}

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
