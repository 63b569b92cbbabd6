using System.Text;

namespace EdSam.Data.Captions;

/// <summary>Reads delimited records as RFC 4180 defines them: fields separated by the delimiter, records by CR LF
/// or LF; a field in double quotes may hold delimiters, line breaks and doubled quotes (<c>""</c> = <c>"</c>).
/// Streams: one record in memory at a time.</summary>
internal sealed class CsvRecordReader
{
    private readonly TextReader reader;
    private readonly char delimiter;
    private readonly string path;
    private readonly StringBuilder field = new();
    private long line = 1;

    public CsvRecordReader(TextReader reader, char delimiter, string path)
    {
        this.reader = reader;
        this.delimiter = delimiter;
        this.path = path;
    }

    /// <summary>Reads the next record. Returns false at the end of the input. <paramref name="startLine"/> is
    /// the 1-based line the record starts on. A blank line is returned as a record with one empty field.</summary>
    /// <exception cref="DataInputException">A quoted field is not closed, or text follows a closing quote.</exception>
    public bool TryRead(out List<string> fields, out long startLine)
    {
        CanSkipBadRecord = false;
        fields = [];
        startLine = line;
        int c = reader.Read();
        if (c < 0) return false;
        field.Clear();
        while (true)
        {
            if (c == '"' && field.Length == 0)
            {
                c = ReadQuoted(startLine);
            }
            else
            {
                while (c >= 0 && c != delimiter && c != '\n' && c != '\r')
                {
                    field.Append((char)c);
                    c = reader.Read();
                }
            }
            fields.Add(field.ToString());
            field.Clear();
            if (c == delimiter)
            {
                c = reader.Read();
                continue;
            }
            if (c == '\r' && reader.Peek() == '\n') reader.Read();
            if (c == '\r' || c == '\n') line++;
            return true;
        }
    }

    /// <summary>
    /// Whether the error <see cref="TryRead"/> just threw leaves the reader where <see cref="SkipRestOfLine"/> can resume
    /// (text after a closing quote). A quote left open to the end of the file is not: it swallowed every later row.
    /// </summary>
    public bool CanSkipBadRecord { get; private set; }

    /// <summary>Drops the rest of the current line, so reading resumes at the next record.</summary>
    public void SkipRestOfLine()
    {
        int c;
        while ((c = reader.Read()) >= 0 && c != '\n' && c != '\r') { }
        if (c == '\r' && reader.Peek() == '\n') reader.Read();
        if (c >= 0) line++;
    }

    /// <summary>Reads a quoted field (the opening quote already consumed) into <see cref="field"/>; returns the
    /// character after the closing quote.</summary>
    private int ReadQuoted(long startLine)
    {
        while (true)
        {
            int c = reader.Read();
            if (c < 0)
                throw new DataInputException(path, "a quoted field is not closed before the end of the file (a missing '\"').", startLine);
            if (c == '"')
            {
                int next = reader.Read();
                if (next == '"')
                {
                    field.Append('"');
                    continue;
                }
                if (next >= 0 && next != delimiter && next != '\n' && next != '\r')
                {
                    CanSkipBadRecord = true;
                    throw new DataInputException(path, $"unexpected '{(char)next}' after a closing quote; a quote inside a quoted field must be doubled (\"\").", line);
                }
                return next;
            }
            if (c == '\n') line++;
            else if (c == '\r')
            {
                if (reader.Peek() != '\n') line++;
            }
            field.Append((char)c);
        }
    }
}
