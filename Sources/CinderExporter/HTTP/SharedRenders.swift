/// Scrapes that joined the same read get the same answer: the response
/// rendered (and compressed) for one of them serves the others, instead of
/// each rendering its own copy (its body bytes are shared, never copied). Only the newest read's bodies are kept, and only
/// for reads that succeeded; a scrape that arrives after a read finished
/// starts a new read, so nothing here outlives its read (SPEC §4).
final class SharedRenders: Sendable {
    struct Key: Hashable {
        let read: UInt64
        let format: ExpositionFormat
        let gzip: Bool
    }

    private let responses = Lock<(read: UInt64, byKey: [Key: HTTPResponse])>((0, [:]))

    func response(for key: Key) -> HTTPResponse? {
        responses.withLock { $0.byKey[key] }
    }

    func store(_ response: HTTPResponse, for key: Key) {
        responses.withLock { state in
            if key.read > state.read {
                state = (key.read, [:])
            }
            if key.read == state.read { state.byKey[key] = response }
        }
    }
}
