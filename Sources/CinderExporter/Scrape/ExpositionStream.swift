import Dispatch

/// One scrape's exposition, rendered in pieces of about `pieceBytes` as the
/// client takes them (a large table's uncompressed bodies). At 10,000
/// services a whole body is 8.6 MB; a stream holds one piece, the layout
/// (shared with the read) and 24 bytes of values per service. The
/// per-service families come first, then the rest of the exposition in one
/// piece, which is told how long the pieces took to render: the scrape's
/// duration counts rendering, not the time the client takes to receive.
/// Each piece is rendered in a render slot (SPEC §4: renders are bounded),
/// taken for that piece only, so a slow client holds none.
///
/// `@unchecked Sendable`: libmicrohttpd asks for bytes from one thread at a
/// time per connection, and only the response that owns the stream asks.
public final class ExpositionStream: @unchecked Sendable {
    static let pieceBytes = 32 * 1024

    /// Renders the end of the exposition; its second argument tells the
    /// seconds spent rendering pieces so far, this one included.
    typealias Tail = (inout ExpositionWriter, () -> Double) -> Void

    private var families: ExpositionRenderer.ServiceFamilies?
    private var tail: Tail?
    private let renderSlots: DispatchSemaphore?
    private var piece: ExpositionWriter
    /// How much of `piece` was handed out already.
    private var sent = 0
    /// Seconds spent in finished pieces (waiting for a slot and rendering).
    private var renderingSeconds = 0.0

    init(_ outcome: ReadOutcome, format: ExpositionFormat, renderSlots: DispatchSemaphore?, tail: @escaping Tail) {
        if case .success(let snapshot) = outcome.snapshot { families = ExpositionRenderer.ServiceFamilies(snapshot) }
        self.tail = tail
        self.renderSlots = renderSlots
        piece = ExpositionWriter(format: format, capacity: Self.pieceBytes + 4096)
    }

    /// Copies the next bytes of the exposition into `buffer`; 0 once it ended.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let destination = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        var copied = 0
        while copied < buffer.count {
            if sent == piece.count, !renderPiece() { break }
            let count = min(buffer.count - copied, piece.count - sent)
            piece.withBytes(sent..<(sent + count)) { bytes in
                (destination + copied).copyMemory(from: UnsafeRawPointer(bytes.baseAddress!), byteCount: count)
            }
            sent += count
            copied += count
        }
        return copied
    }

    /// Renders the next piece; false when nothing is left.
    private func renderPiece() -> Bool {
        guard families != nil || tail != nil else { return false }
        let started = Clock.monotonicSeconds()
        renderSlots?.wait()
        defer {
            renderSlots?.signal()
            renderingSeconds += Clock.monotonicSeconds() - started
        }
        piece.removeAll()
        sent = 0
        if families != nil {
            families!.render(into: &piece, atLeast: Self.pieceBytes)
            if families!.isFinished { families = nil }
        } else if let tail {
            let before = renderingSeconds
            tail(&piece) { before + (Clock.monotonicSeconds() - started) }
            self.tail = nil
        }
        return piece.count > 0 || families != nil || tail != nil
    }
}

extension ExpositionStream: HTTPBodyStream {}
