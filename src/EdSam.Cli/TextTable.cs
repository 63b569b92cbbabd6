namespace EdSam.Cli;

/// <summary>A plain-text table with aligned columns (first column left-aligned, others right-aligned), the
/// last row set off by a rule when there are several.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> rows = [];

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public void AddRow(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"A row needs {headers.Length} cells, got {cells.Length}.", nameof(cells));
        rows.Add(cells);
    }

    /// <summary>Writes the table.</summary>
    public void Write(TextWriter writer)
    {
        int[] widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Format(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        string rule = string.Join("  ", widths.Select(w => new string('-', w)));
        writer.WriteLine(Format(headers));
        writer.WriteLine(rule);
        for (int i = 0; i < rows.Count; i++)
        {
            if (i == rows.Count - 1 && rows.Count > 1) writer.WriteLine(rule);
            writer.WriteLine(Format(rows[i]));
        }
    }
}
