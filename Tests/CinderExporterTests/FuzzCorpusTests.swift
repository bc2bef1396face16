import CinderExporterFuzz
import Foundation
import XCTest

/// Replays the committed fuzz corpus (Tests/FuzzCorpus/<target>: seeds and
/// the inputs the fuzzer found) through the same targets scripts/fuzz.sh
/// fuzzes: a cheap regression test of every parser's invariants.
final class FuzzCorpusTests: XCTestCase {
    func testEveryTargetHasASeedCorpus() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: FuzzTargets.corpusRoot)
        for target in FuzzTargets.all {
            XCTAssertTrue(directories.contains(target.name), "no Tests/FuzzCorpus/\(target.name)")
        }
        XCTAssertEqual(Set(directories).subtracting(FuzzTargets.all.map(\.name)), ["fixtures"], "a corpus without a target")
    }

    func testCorpusKeepsEveryInvariant() throws {
        for target in FuzzTargets.all {
            let directory = FuzzTargets.corpusRoot + "/" + target.name
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            XCTAssertFalse(files.isEmpty, "\(target.name): empty corpus")
            for file in files {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
                do {
                    try target.run(bytes)
                } catch {
                    XCTFail("\(target.name)/\(file): \(error)")
                }
            }
        }
    }
}
