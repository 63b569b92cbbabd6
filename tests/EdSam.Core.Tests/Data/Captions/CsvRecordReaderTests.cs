using EdSam.Data;
using EdSam.Data.Captions;

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
}
