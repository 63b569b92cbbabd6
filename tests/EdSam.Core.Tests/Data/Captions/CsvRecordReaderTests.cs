using EdSam.Data;
using EdSam.Data.Captions;
using FsCheck;
using FsCheck.Fluent;

namespace EdSam.Tests.Data.Captions;

public class CsvRecordReaderTests
{
    private static List<(List<string> Fields, long Line)> Read(string text, char delimiter = ',')
    {
        var reader = new CsvRecordReader(new StringReader(text), delimiter, "t.csv");
        var records = new List<(List<string>, long)>();
        while (reader.TryRead(out var fields, out long line)) records.Add((fields, line));
        return records;
    }

    [Fact]
    public void Quoted_fields_keep_delimiters_doubled_quotes_and_line_breaks()
    {
        var records = Read("a.png,\"x, \"\"y\"\"\r\nz\",3\r\n\"\",plain\nlast,\"\"\"\"");

        records.Should().HaveCount(3);
        records[0].Fields.Should().Equal("a.png", "x, \"y\"\r\nz", "3");
        records[0].Line.Should().Be(1);
        records[1].Fields.Should().Equal("", "plain");
        records[1].Line.Should().Be(3, "the first record spans lines 1 and 2");
        records[2].Fields.Should().Equal("last", "\"");
        records[2].Line.Should().Be(4);
    }

    [Fact]
    public void Empty_fields_trailing_delimiters_and_tabs()
    {
        Read("a,,b,\n").Single().Fields.Should().Equal("a", "", "b", "");
        Read("p\tq, r\n", '\t').Single().Fields.Should().Equal("p", "q, r");
    }

    [Fact]
    public void Unclosed_quote_and_text_after_a_closing_quote_name_the_line()
    {
        var unclosed = () => Read("ok,1\nbad,\"never closed\n,more");
        unclosed.Should().Throw<DataInputException>().Where(e => e.Line == 2 && e.Message.StartsWith("t.csv:2:") && e.Message.Contains("not closed"));
        var stray = () => Read("ok,1\n\"a\"b,2");
        stray.Should().Throw<DataInputException>().Where(e => e.Line == 2 && e.Message.Contains("doubled"));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Any_fields_written_with_rfc4180_quoting_read_back_unchanged(string[][] rows, bool crlf)
    {
        // Independent writer: every field quoted, quotes doubled (RFC 4180 section 2.5-2.7).
        var records = (rows ?? []).Where(r => r is { Length: > 0 }).Select(r => r.Select(f => f ?? "").ToList()).ToList();
        string newline = crlf ? "\r\n" : "\n";
        string text = string.Concat(records.Select(r => string.Join(",", r.Select(f => "\"" + f.Replace("\"", "\"\"") + "\"")) + newline));
        var read = Read(text).Select(x => x.Fields).ToList();
        bool same = read.Count == records.Count && read.Zip(records).All(p => p.First.SequenceEqual(p.Second));
        return same.ToProperty().Label(text);
    }
}
