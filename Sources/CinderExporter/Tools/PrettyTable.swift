/// Tables with PrettyTable's borders, as the OpenStack clients print them.
public enum PrettyTable {
    public static func render(headers: [String], rows: [[String]]) -> String {
        let cells = rows.map { $0.map(printable) }
        var widths = headers.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let border = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+\n"
        func line(_ row: [String]) -> String {
            "|" + zip(row, widths).map { " " + $0 + String(repeating: " ", count: $1 - $0.count) + " " }.joined(separator: "|") + "|\n"
        }
        return border + line(headers) + border + cells.map(line).joined() + border
    }

    /// Control characters would break the table's lines: show them escaped.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
        return JSONText.escape(text)
    }
}
