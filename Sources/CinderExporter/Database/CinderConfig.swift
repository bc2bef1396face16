#if canImport(Glibc)
import Glibc
#endif

/// The two settings the exporter takes from cinder.conf (SPEC §3): `[database]
/// connection` and `[DEFAULT] service_down_time`, read the way oslo.config
/// reads them (oslo_config/iniparser.py and the `$` substitution of cfg.py):
/// - `[section]` headers; section names other than `DEFAULT` are case-insensitive;
/// - `key = value` or `key: value`, split at whichever of `=` and `:` comes
///   first, both sides trimmed, one pair of matching surrounding quotes removed;
/// - lines starting with `#` or `;` are comments (there are no inline comments,
///   so a password may hold `#`); blank lines end a multi-line value;
/// - an indented line continues the previous value, joined with "\n";
/// - `$name` and `${name}` are replaced by the option of that name in the same
///   section, else in `[DEFAULT]` (`$group.name` names the section); `$$` and
///   `\$` are a literal `$`; a `$` not followed by a name stays as it is;
/// - a later assignment of the same key wins;
/// - there is no fallback from `[DEFAULT]` into `[database]`: a `connection`
///   under `[DEFAULT]` is not the database connection.
public struct CinderConfig: Sendable, Equatable {
    /// `[database] connection`, substituted; nil when not set.
    public var connection: String?
    /// `[DEFAULT] service_down_time`; nil when not set.
    public var serviceDownTime: Int64?

    public init(connection: String? = nil, serviceDownTime: Int64? = nil) {
        self.connection = connection
        self.serviceDownTime = serviceDownTime
    }

    /// Options whose defaults Cinder's own configs refer to with `$`
    /// (e.g. `connection = sqlite:///$state_path/cinder.sqlite`).
    static let knownDefaults: [String: String] = ["state_path": "/var/lib/cinder"]

    /// Reads and parses the file at `path`. Errors name the file and line, never a value.
    public static func load(path: String) throws(ConfigurationError) -> CinderConfig {
        let bytes = try readFile(path, what: "cinder config file")
        return try CinderConfig(parsing: String(decoding: bytes, as: UTF8.self), source: path)
    }

    /// Parses the text of a cinder.conf; `source` names it in error messages.
    public init(parsing text: String, source: String = "cinder.conf") throws(ConfigurationError) {
        let sections = try Self.parseSections(text, source: source)
        var resolver = Resolver(sections: sections, source: source)
        if let raw = sections["database"]?["connection"] {
            connection = try resolver.substitute(raw, section: "database", option: "connection")
        }
        if let raw = sections["DEFAULT"]?["service_down_time"] {
            let value = try resolver.substitute(raw, section: "DEFAULT", option: "service_down_time")
            let trimmed = String(Substring(value).unicodeScalars.trimmingWhitespace)
            guard let seconds = Int64(trimmed.hasPrefix("+") ? String(trimmed.dropFirst()) : trimmed) else {
                throw ConfigurationError("\(source): [DEFAULT] service_down_time is not an integer")
            }
            serviceDownTime = seconds
        }
    }

    /// Section → key → the last value assigned. Follows iniparser.BaseParser.parse.
    static func parseSections(_ text: String, source: String) throws(ConfigurationError) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var section: String?
        var key: String?
        var value: [String] = []
        var keyLine = 0

        func flush() throws(ConfigurationError) {
            guard let pending = key else { return }
            guard let section else {
                throw ConfigurationError("\(source) line \(keyLine): option \"\(pending)\" is outside any [section]")
            }
            sections[section, default: [:]][pending] = value.joined(separator: "\n")
            key = nil
            value = []
        }

        // Code point by code point, as oslo.config reads (Python strings): as
        // Characters, a combining mark would join the quote, `=`, `[` or
        // indentation before it and hide it (found by the cinder-conf fuzz target).
        var text = Substring(text).unicodeScalars
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        var lineNumber = 0
        // Universal newlines, as Python's text files read them: "\r\n", "\r" or "\n".
        var lines: [Substring.UnicodeScalarView] = []
        var lineStart = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let scalar = text[index]
            guard scalar == "\n" || scalar == "\r" else { text.formIndex(after: &index); continue }
            lines.append(text[lineStart..<index])
            text.formIndex(after: &index)
            if scalar == "\r", index < text.endIndex, text[index] == "\n" { text.formIndex(after: &index) }
            lineStart = index
        }
        lines.append(text[lineStart...])
        for rawLine in lines {
            lineNumber += 1
            let line = rawLine.droppingTrailingWhitespace
            if line.isEmpty {
                // A blank line ends a multi-line value.
                try flush()
                continue
            }
            if line.first == " " || line.first == "\t" {
                guard key != nil else {
                    throw ConfigurationError("\(source) line \(lineNumber): unexpected continuation line (indented, with no option before it)")
                }
                value.append(String(line.droppingLeadingWhitespace))
                continue
            }
            try flush()
            if line.first == "[" {
                guard line.last == "]" else {
                    throw ConfigurationError("\(source) line \(lineNumber): section header has no closing \"]\"")
                }
                guard line.count > 2 else {
                    throw ConfigurationError("\(source) line \(lineNumber): section header has no name")
                }
                let name = String(line.dropFirst().dropLast())
                // oslo.config: group names are case-insensitive, except DEFAULT.
                section = name == "DEFAULT" ? name : name.lowercased()
                if let section, sections[section] == nil { sections[section] = [:] }
            } else if line.first == "#" || line.first == ";" {
                continue
            } else {
                let equal = line.firstIndex(of: "=")
                let colon = line.firstIndex(of: ":")
                guard let split = [equal, colon].compactMap({ $0 }).min() else {
                    throw ConfigurationError("\(source) line \(lineNumber): expected \"key = value\" or \"key: value\"")
                }
                let name = String(line[..<split].trimmingWhitespace)
                guard !name.isEmpty else {
                    throw ConfigurationError("\(source) line \(lineNumber): assignment with no option name")
                }
                var assigned = line[line.index(after: split)...].trimmingWhitespace
                if let first = assigned.first, first == "\"" || first == "'", assigned.last == first {
                    assigned = assigned.dropFirst().dropLast()
                }
                key = name
                value = [String(assigned)]
                keyLine = lineNumber
            }
        }
        try flush()
        return sections
    }

    /// `$name` substitution as oslo.config's `Template.safe_substitute` with
    /// `idpattern = [_a-z][._a-z0-9]*` (case-insensitive), recursively, with
    /// loops reported.
    struct Resolver {
        let sections: [String: [String: String]]
        let source: String
        var resolving: [String] = []

        mutating func substitute(_ raw: String, section: String, option: String) throws(ConfigurationError) -> String {
            let here = "[\(section)] \(option)"
            guard !resolving.contains(here) else {
                throw ConfigurationError("\(source): \(resolving.first ?? here) refers to itself through $ substitution")
            }
            resolving.append(here)
            defer { resolving.removeLast() }
            // oslo.config treats "\$" as "$$".
            let scalars = Array(raw.replacing("\\$", with: "$$").unicodeScalars)
            var output = String.UnicodeScalarView()
            var index = 0
            while index < scalars.count {
                let scalar = scalars[index]
                guard scalar == "$", index + 1 < scalars.count else {
                    output.append(scalar)
                    index += 1
                    continue
                }
                let next = scalars[index + 1]
                if next == "$" {
                    output.append("$")
                    index += 2
                } else if next == "{", let (name, end) = Self.identifier(scalars, from: index + 2),
                          end < scalars.count, scalars[end] == "}" {
                    output.append(contentsOf: try lookup(name, section: section, referencedFrom: here).unicodeScalars)
                    index = end + 1
                } else if let (name, end) = Self.identifier(scalars, from: index + 1) {
                    output.append(contentsOf: try lookup(name, section: section, referencedFrom: here).unicodeScalars)
                    index = end
                } else {
                    // Not a placeholder: safe_substitute leaves it alone.
                    output.append(scalar)
                    index += 1
                }
            }
            return String(output)
        }

        /// The value of `name` seen from `section`: `group.option` names its
        /// section; otherwise the same section, then [DEFAULT].
        private mutating func lookup(_ name: String, section: String, referencedFrom: String) throws(ConfigurationError) -> String {
            if let dot = name.firstIndex(of: ".") {
                let group = String(name[..<dot])
                let option = String(name[name.index(after: dot)...])
                let normalised = group == "DEFAULT" ? group : group.lowercased()
                if let raw = sections[normalised]?[option] {
                    return try substitute(raw, section: normalised, option: option)
                }
            }
            if let raw = sections[section]?[name] {
                return try substitute(raw, section: section, option: name)
            }
            if let raw = sections["DEFAULT"]?[name] {
                return try substitute(raw, section: "DEFAULT", option: name)
            }
            if let value = CinderConfig.knownDefaults[name] { return value }
            // The name is not echoed: after an unescaped `$` in a password it
            // is part of the password. Say where, and how to write a literal `$`.
            throw ConfigurationError("\(source): \(referencedFrom) has a $-reference to an option set neither in [\(section)] nor in [DEFAULT] (write a literal $ as $$)")
        }

        /// `[_a-z][._a-z0-9]*`, ASCII, case-insensitive: the name and the index after it.
        private static func identifier(_ scalars: [Unicode.Scalar], from start: Int) -> (String, Int)? {
            guard start < scalars.count, isIdentifierStart(scalars[start]) else { return nil }
            var end = start + 1
            while end < scalars.count, isIdentifierStart(scalars[end]) || scalars[end] == "." || ("0"..."9").contains(scalars[end]) {
                end += 1
            }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: scalars[start..<end])
            return (String(name), end)
        }

        private static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
        }
    }
}

extension CinderConfig {
    /// Reads a whole small file (a config or a password file) with plain POSIX
    /// calls; the error names the file and the reason, never its content.
    public static func readFile(_ path: String, what: String) throws(ConfigurationError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= 16 << 20 else {
                throw ConfigurationError("cannot read \(what) \(path): larger than 16 MiB")
            }
        }
    }
}

extension Substring.UnicodeScalarView {
    /// Python's `str.strip()` for the whitespace that matters in config files.
    fileprivate var trimmingWhitespace: Substring.UnicodeScalarView {
        droppingLeadingWhitespace.droppingTrailingWhitespace
    }

    fileprivate var droppingLeadingWhitespace: Substring.UnicodeScalarView {
        self[(firstIndex { !$0.isConfigWhitespace } ?? endIndex)...]
    }

    fileprivate var droppingTrailingWhitespace: Substring.UnicodeScalarView {
        guard let last = lastIndex(where: { !$0.isConfigWhitespace }) else { return self[endIndex...] }
        return self[...last]
    }
}

extension Unicode.Scalar {
    fileprivate var isConfigWhitespace: Bool {
        self == " " || self == "\t" || self == "\r" || self == "\u{0B}" || self == "\u{0C}"
    }
}
