/// One scrape's exposition, rendered in pieces of about `pieceBytes` as the
/// client takes them (SPEC §4 identity bodies). At 10,000 services a whole
/// body is 8.6 MB; a stream holds one piece, the layout (shared with the
/// read) and 24 bytes of values per service. The per-service families come
/// first, then the rest of the exposition in one piece, so the scrape's
/// duration covers its rendering.
///
/// `@unchecked Sendable`: libmicrohttpd asks for bytes from one thread at a
/// time per connection, and only the response that owns the stream asks.
public final class ExpositionStream: @unchecked Sendable {
    static let pieceBytes = 32 * 1024

    private var families: ExpositionRenderer.ServiceFamilies?
    private var tail: ((inout ExpositionWriter) -> Void)?
    private var piece: ExpositionWriter
    /// How much of `piece` was handed out already.
    private var sent = 0

    init(_ outcome: ReadOutcome, format: ExpositionFormat, tail: @escaping (inout ExpositionWriter) -> Void) {
        if case .success(let snapshot) = outcome.snapshot { families = ExpositionRenderer.ServiceFamilies(snapshot) }
        self.tail = tail
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
        piece.removeAll()
        sent = 0
        if families != nil {
            families!.render(into: &piece, atLeast: Self.pieceBytes)
            if families!.isFinished { families = nil }
        } else if let tail {
            tail(&piece)
            self.tail = nil
        }
        return piece.count > 0 || families != nil
    }
}

extension ExpositionStream: HTTPBodyStream {}
