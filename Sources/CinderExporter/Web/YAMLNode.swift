internal import CYAML

/// One YAML document as the web config needs it, read through Debian's
/// libyaml (its event API): mappings (keys are scalars, kept as their text,
/// in document order), sequences and scalars. Aliases are resolved and merge
/// keys (`<<`) applied; a key written twice in one mapping is an error.
public indirect enum YAMLNode: Sendable, Equatable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode])
    case mapping([YAMLPair])

    /// Nesting deeper than this is refused: no config needs it, and a tree
    /// of thousands of levels would overflow the stack when it is freed.
    public static let maximumDepth = 64

    /// The one document in `text`; nil when there is none (empty, or only
    /// comments). More than one document is an error.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        try YAMLParser(text).document()
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    /// YAML's null (`key:` with nothing after it, `~`, `null`).
    public var isNull: Bool { scalar?.isNull ?? false }
}

public struct YAMLPair: Sendable, Equatable {
    public var key: String
    public var value: YAMLNode
}

/// A scalar's text, with what tells a string from the rest: its style and
/// its tag. Only null is resolved: everything the web config reads is text
/// (as exporter-toolkit reads it into Go strings), so `cert_file: 0123`
/// names the file `0123`.
public struct YAMLScalar: Sendable, Equatable {
    public var text: String
    /// The tag written in the document, expanded (`!!str` is
    /// `tag:yaml.org,2002:str`); nil when none was written.
    public var tag: String?
    /// Plain (unquoted, not a block scalar): only a plain scalar can be null.
    public var isPlain: Bool

    public init(text: String, tag: String? = nil, isPlain: Bool = true) {
        self.text = text
        self.tag = tag
        self.isPlain = isPlain
    }

    /// YAML 1.1's null: a plain scalar, untagged or `!!null`, that is empty,
    /// `~`, `null`, `Null` or `NULL`. `'null'` and `!!str null` are strings.
    public var isNull: Bool {
        isPlain && (tag == nil || tag == "tag:yaml.org,2002:null") && ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// `<<`, the merge key (plain and untagged, or tagged `!!merge`).
    var isMergeKey: Bool {
        tag == "tag:yaml.org,2002:merge" || (isPlain && tag == nil && text == "<<")
    }
}

/// Why a text is not a YAML document we can read: one line, with the line
/// and column (1-based) where libyaml or the tree builder stopped.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    init(_ problem: String, at mark: yaml_mark_t) {
        self.init("line \(mark.line + 1), column \(mark.column + 1): \(problem)")
    }
}

/// Owns one libyaml parser and the bytes it reads (libyaml keeps a pointer
/// to both), and turns its events into a `YAMLNode`. Used once, by one thread.
private final class YAMLParser {
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let ready: Bool
    private var anchors: [String: YAMLNode] = [:]

    /// A mapping or sequence whose end event has not come yet.
    private struct Open {
        enum Pending { case none, key(String), merge }
        let isMapping: Bool
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var merged: [YAMLPair] = []
        var keys: Set<String> = []
        var pending = Pending.none
    }

    init(_ text: String) {
        let count = text.utf8.count
        input = .allocate(capacity: max(count, 1))
        _ = input.initialize(from: text.utf8)
        ready = yaml_parser_initialize(parser) == 1
        if ready {
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(parser, input.baseAddress, count)
        }
    }

    deinit {
        if ready { yaml_parser_delete(parser) }
        parser.deallocate()
        input.deallocate()
    }

    func document() throws(YAMLError) -> YAMLNode? {
        guard ready else { throw YAMLError("libyaml: out of memory") }
        var root: YAMLNode?
        var documents = 0
        var open: [Open] = []
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else { throw failure() }
            defer { yaml_event_delete(&event) }
            let mark = event.start_mark
            switch event.type {
            case YAML_STREAM_END_EVENT, YAML_NO_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                guard documents == 1 else { throw YAMLError("expected a single document, but found another", at: mark) }
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                guard let node = anchors[name] else { throw YAMLError("found undefined alias \(name.debugDescription)", at: mark) }
                try add(node, anchor: nil, at: mark, to: &open, root: &root)
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let scalar = YAMLScalar(text: String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self),
                                        tag: data.tag.map { String(cString: $0) },
                                        isPlain: data.style == YAML_PLAIN_SCALAR_STYLE)
                try add(.scalar(scalar), anchor: data.anchor.map { String(cString: $0) }, at: mark, to: &open, root: &root)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < YAMLNode.maximumDepth else {
                    throw YAMLError("nested deeper than \(YAMLNode.maximumDepth) levels", at: mark)
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                open.append(Open(isMapping: isMapping, anchor: anchor.map { String(cString: $0) }))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let done = open.popLast() else { throw YAMLError("unbalanced collection end", at: mark) }
                let node: YAMLNode
                if done.isMapping {
                    // Merged keys first, the first source winning; the mapping's own keys override them.
                    var seen = Set(done.pairs.map(\.key))
                    node = .mapping(done.merged.filter { seen.insert($0.key).inserted } + done.pairs)
                } else {
                    node = .sequence(done.items)
                }
                try add(node, anchor: done.anchor, at: mark, to: &open, root: &root)
            default:
                continue  // stream start, document end
            }
        }
    }

    /// A finished node: registered under its anchor, then placed in the
    /// collection that holds it (as item, key or value) or made the root.
    private func add(_ node: YAMLNode, anchor: String?, at mark: yaml_mark_t, to open: inout [Open],
                     root: inout YAMLNode?) throws(YAMLError) {
        if let anchor { anchors[anchor] = node }
        guard var parent = open.popLast() else {
            root = node
            return
        }
        if !parent.isMapping {
            parent.items.append(node)
        } else {
            switch parent.pending {
            case .none:
                guard case .scalar(let key) = node else {
                    throw YAMLError("a mapping key must be a scalar, not a mapping or a sequence", at: mark)
                }
                guard parent.keys.insert(key.text).inserted else {
                    throw YAMLError("duplicate key \(key.text.debugDescription)", at: mark)
                }
                parent.pending = key.isMergeKey ? .merge : .key(key.text)
            case .key(let key):
                parent.pairs.append(YAMLPair(key: key, value: node))
                parent.pending = .none
            case .merge:
                switch node {
                case .mapping(let pairs):
                    parent.merged += pairs
                case .sequence(let sources):
                    for source in sources {
                        guard case .mapping(let pairs) = source else {
                            throw YAMLError("a merge key (<<) takes a mapping or a sequence of mappings", at: mark)
                        }
                        parent.merged += pairs
                    }
                case .scalar:
                    throw YAMLError("a merge key (<<) takes a mapping or a sequence of mappings", at: mark)
                }
                parent.pending = .none
            }
        }
        open.append(parent)
    }

    /// libyaml's own account of what went wrong, on one line.
    private func failure() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown error"
        switch state.error {
        case YAML_MEMORY_ERROR:
            return YAMLError("libyaml: out of memory")
        case YAML_READER_ERROR:
            return YAMLError("byte \(state.problem_offset + 1): \(problem)")
        default:
            let context = state.context.map { " (\(String(cString: $0)) at line \(state.context_mark.line + 1), column \(state.context_mark.column + 1))" }
            return YAMLError(problem + (context ?? ""), at: state.problem_mark)
        }
    }
}
