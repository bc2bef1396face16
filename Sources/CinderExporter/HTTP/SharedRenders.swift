import Synchronization

/// Scrapes that joined the same read get the same bytes: the body rendered
/// (and compressed) for one of them serves the others, instead of each
/// rendering its own copy. Only the newest read's bodies are kept, and only
/// for reads that succeeded; a scrape that arrives after a read finished
/// starts a new read, so nothing here outlives its read (SPEC §4).
final class SharedRenders: Sendable {
    struct Key: Hashable {
        let read: UInt64
        let format: ExpositionFormat
        let gzip: Bool
    }

    private let bodies = Mutex<(read: UInt64, byKey: [Key: OwnedBytes])>((0, [:]))

    func body(for key: Key) -> OwnedBytes? {
        bodies.withLock { $0.byKey[key] }
    }

    func store(_ body: OwnedBytes, for key: Key) {
        bodies.withLock { state in
            if key.read > state.read {
                state = (key.read, [:])
            }
            if key.read == state.read { state.byKey[key] = body }
        }
    }
}
