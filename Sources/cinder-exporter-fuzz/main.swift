// cinder-exporter-fuzz: the parsers' fuzz targets (Sources/CinderExporterFuzz).
//
//   cinder-exporter-fuzz TARGET [libFuzzer options] [CORPUS_DIR...]
//       when linked with libFuzzer (scripts/fuzz.sh): fuzz TARGET (or the
//       one named by CINDER_FUZZ_TARGET);
//   cinder-exporter-fuzz TARGET|all [FILE|DIR...]
//       in the normal build: replay files (default: Tests/FuzzCorpus/TARGET)
//       through the same target and report the first broken invariant.
//
// One binary, one main: libFuzzer's own main is not linked (scripts/fuzz.sh
// links libclang_rt.fuzzer_no_main and calls LLVMFuzzerRunDriver), so the
// normal `swift build` builds the same file as a plain replay tool.
import CinderExporterFuzz
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// The target libFuzzer's C callback runs: set once before the driver starts,
/// read only by the driver's thread.
enum Selected {
    nonisolated(unsafe) static var target: FuzzTarget?
}

/// One line (or more) on standard error, written with write(2).
func printError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { if errno == EINTR { continue }; return }
        offset += written
    }
}

func usage() -> Never {
    let names = FuzzTargets.all.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n")
    printError("usage: cinder-exporter-fuzz TARGET|all [FILE|DIR...]\ntargets:\n\(names)\n")
    exit(2)
}

/// Files directly in `path` (a corpus directory), or `path` itself.
func inputs(at path: String) -> [String] {
    guard let directory = opendir(path) else { return [path] }
    defer { closedir(directory) }
    var files: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasPrefix(".") { continue }
        files.append(path + "/" + name)
    }
    return files.sorted()
}

func readAll(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    return ferror(file) == 0 ? bytes : nil
}

func replay(_ targets: [FuzzTarget], _ paths: [String]) -> Int32 {
    var failures: Int32 = 0
    for target in targets {
        let files = (paths.isEmpty ? [FuzzTargets.corpusRoot + "/" + target.name] : paths).flatMap(inputs(at:))
        var count = 0
        for file in files {
            guard let bytes = readAll(file) else {
                printError("\(target.name): cannot read \(file)\n")
                failures += 1
                continue
            }
            count += 1
            do {
                try target.run(bytes)
            } catch {
                printError("\(file): \(error)\n")
                failures += 1
            }
        }
        print("\(target.name): \(count) inputs replayed")
    }
    return failures == 0 ? 0 : 1
}

let arguments = CommandLine.arguments
let first = arguments.count > 1 ? arguments[1] : ""
if cinder_libfuzzer_linked() != 0 {
    // libFuzzer sees argv without the target name. It re-runs this binary for
    // -merge and -fork with the arguments it saw, so the name also goes into
    // the environment, where those children find it.
    let inherited = getenv("CINDER_FUZZ_TARGET").flatMap { FuzzTargets.named(String(cString: $0)) }
    let named = FuzzTargets.named(first)
    guard let target = named ?? inherited else { usage() }
    setenv("CINDER_FUZZ_TARGET", target.name, 1)
    Selected.target = target
    var argv: [UnsafeMutablePointer<CChar>?] = ([arguments[0]] + arguments.dropFirst(named == nil ? 1 : 2)).map { strdup($0) } + [nil]
    var argc = Int32(argv.count - 1)
    let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var base = buffer.baseAddress
        return cinder_libfuzzer_run(&argc, &base) { data, size in
            let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            do {
                try Selected.target!.run(bytes)
            } catch {
                // A broken invariant is a finding: libFuzzer saves the input on abort.
                printError("INVARIANT BROKEN: \(error)\n")
                abort()
            }
            return 0
        }
    }
    exit(status)
} else {
    let targets = first == "all" ? FuzzTargets.all : FuzzTargets.named(first).map { [$0] }
    guard let targets else { usage() }
    exit(replay(targets, Array(arguments.dropFirst(2))))
}
