using EdSam.Data;
using EdSam.IO.Hub;
using EdSam.Training;

namespace EdSam.Tests;

public sealed class OptionsValidationExceptionTests
{
    [Fact]
    public void Lists_every_error_in_one_message_and_is_an_ArgumentException()
    {
        var exception = new OptionsValidationException("SomeOptions", ["A: must be positive; got 0.", "B: must not be empty."]);

        exception.Message.Should().Be("Invalid SomeOptions: A: must be positive; got 0. B: must not be empty.");
        exception.OptionsType.Should().Be("SomeOptions");
        exception.Errors.Should().Equal("A: must be positive; got 0.", "B: must not be empty.");
        exception.Should().BeAssignableTo<ArgumentException>("callers that catch ArgumentException keep working");
        OptionsValidationException.ThrowIfAny("SomeOptions", []); // no errors: valid, nothing thrown
        new Action(() => _ = new OptionsValidationException("SomeOptions", [])).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Options_records_of_Core_report_their_errors_with_it()
    {
        // One record per area; the other assemblies' records are checked in their own test projects.
        var checks = new Action[]
        {
            () => new HubOptions { MaxAttempts = 0, Revision = "" }.Validate(),
            () => new ExampleLoaderOptions { BatchSize = 0 }.Validate(),
            () => new CheckpointOptions { Directory = "", KeepLast = 0 }.Validate(),
        };

        foreach (var check in checks)
            check.Should().Throw<OptionsValidationException>().Which.Errors.Should().NotBeEmpty();
        checks[0].Should().Throw<OptionsValidationException>().Which.Errors.Should().HaveCount(2);
    }
}
