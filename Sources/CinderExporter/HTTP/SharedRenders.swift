import Dispatch

/// Scrapes that joined the same read get the same answer: the first to ask
/// for a (read, format, encoding) renders it, and the others wait for that
/// response instead of each rendering (and compressing) a copy of their own;
/// its body bytes are shared, never copied. Only the newest read's responses
/// are kept, and only for reads that succeeded; a scrape that arrives after a
/// read finished starts a new read, so nothing here outlives its read (SPEC §4).
final class SharedRenders: Sendable {
    struct Key: Hashable {
        let read: UInt64
        let format: ExpositionFormat
        let gzip: Bool
    }

    /// One render in progress. `response` is written once, before
    /// `group.leave()`, and read only after `group.wait()` succeeded, which
    /// orders the two: that is why sharing it is safe.
    private final class Render: @unchecked Sendable {
        let group = DispatchGroup()
        var response: HTTPResponse?
    }

    private let renders = Lock<(read: UInt64, byKey: [Key: Render])>((0, [:]))

    /// The response for `key`: rendered here by the first caller, waited for
    /// (until `deadline`) by the others. nil when `render` returned nil or the
    /// wait ran out; a render that returned nil is not kept.
    func response(for key: Key, deadline: DispatchTime, render: () -> HTTPResponse?) -> HTTPResponse? {
        let (entry, isMine) = renders.withLock { state -> (Render?, Bool) in
            if key.read > state.read { state = (key.read, [:]) }
            // An older read's scrape renders alone (a newer read replaced its slot).
            guard key.read == state.read else { return (nil, true) }
            if let existing = state.byKey[key] { return (existing, false) }
            let fresh = Render()
            fresh.group.enter()
            state.byKey[key] = fresh
            return (fresh, true)
        }
        guard let entry else { return render() }
        guard isMine else {
            guard entry.group.wait(timeout: deadline) == .success else { return nil }
            return entry.response
        }
        let response = render()
        entry.response = response
        if response == nil {
            renders.withLock { state in
                if state.read == key.read, state.byKey[key] === entry { state.byKey[key] = nil }
            }
        }
        entry.group.leave()
        return response
    }
}
