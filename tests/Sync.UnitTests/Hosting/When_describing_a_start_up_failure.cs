using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sync.Hosting;

namespace Sync.UnitTests.Hosting;

/// <summary>Only a bad setting becomes one line and exit code 1; a bug keeps its exception and stack trace.</summary>
public sealed class When_describing_a_start_up_failure
{
    private static OptionsValidationException Invalid(params string[] failures) => new(Options.DefaultName, typeof(object), failures);

    [Test]
    public void Should_keep_only_the_message_of_a_data_annotation()
    {
        var invalid = Invalid("DataAnnotation validation failed for 'WorkerOptions' members: 'WebhookConcurrency' with the error: 'Sync:Worker:WebhookConcurrency must be between 1 and 512.'.");

        Assert.That(ConfigurationErrors.Describe(invalid), Is.EqualTo("Sync:Worker:WebhookConcurrency must be between 1 and 512"));
    }

    [Test]
    public void Should_name_every_failure_on_one_line()
    {
        var described = ConfigurationErrors.Describe(new AggregateException(Invalid("Sync:A:B is required.", "Sync:A:C must be\nat least 1."), Invalid("Sync:D:E is wrong.")));

        Assert.That(described, Is.EqualTo("Sync:A:B is required; Sync:A:C must be at least 1; Sync:D:E is wrong"));
    }

    [Test]
    public void Should_name_the_key_of_a_value_the_binder_cannot_convert_even_when_wrapped()
    {
        var convert = new InvalidOperationException(
            "Failed to convert configuration value 'Oracle' at 'Sync:Storage:Provider' to type 'Sync.Storage.DatabaseProvider'.",
            new FormatException("Oracle is not a valid value for DatabaseProvider."));

        var described = ConfigurationErrors.Describe(new AggregateException(new InvalidOperationException("Hosting failed to start", convert)));

        Assert.That(described, Is.EqualTo("Sync:Storage:Provider cannot be 'Oracle' (not a valid DatabaseProvider)"));
    }

    [Test]
    public void Should_not_describe_a_bug()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ConfigurationErrors.Describe(new InvalidOperationException("Sequence contains no elements")), Is.Null);
            Assert.That(ConfigurationErrors.Describe(new NullReferenceException()), Is.Null);
            Assert.That(ConfigurationErrors.Describe(new AggregateException(Invalid("Sync:A:B is required."), new NullReferenceException())), Is.Null);
        });
    }

    [Test]
    public void Should_let_a_bug_escape_the_runner()
    {
        using var error = new StringWriter();

        Assert.ThrowsAsync<NullReferenceException>(() => SyncHost.RunAsync("sync-test", () => throw new NullReferenceException(), error));
        Assert.That(error.ToString(), Is.Empty);
    }

    [Test]
    public async Task Should_return_1_and_write_one_line_for_a_bad_setting()
    {
        using var error = new StringWriter();

        var exitCode = await SyncHost.RunAsync("sync-test", () => throw Invalid("Sync:Test:Size must be between 1 and 2."), error);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(SyncHost.InvalidConfigurationExitCode));
            Assert.That(error.ToString(), Is.EqualTo("sync-test: invalid configuration: Sync:Test:Size must be between 1 and 2" + Environment.NewLine));
        });
    }

    [Test]
    public async Task Should_return_0_when_the_host_stops_normally()
    {
        using var error = new StringWriter();

        var exitCode = await SyncHost.RunAsync("sync-test", () =>
        {
            var builder = Host.CreateApplicationBuilder();
            var host = builder.Build();
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(
                () => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
            return host;
        }, error);

        Assert.That(exitCode, Is.EqualTo(SyncHost.SuccessExitCode));
    }
}
