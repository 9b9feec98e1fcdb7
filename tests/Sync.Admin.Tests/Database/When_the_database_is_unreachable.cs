using System.Net;
using System.Net.Sockets;

namespace Sync.Admin.Tests.Database;

public sealed class When_the_database_is_unreachable
{
    private Dictionary<string, string?> _settings = null!;

    [OneTimeSetUp]
    public void PointAtAClosedPort()
    {
        // A port that was free a moment ago and has nobody listening: connections are refused at once.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        _settings = new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = $"Host=127.0.0.1;Port={port};Username=sync;Password=not-shown;Database=sync;Timeout=5",
            ["Sync:Storage:ActiveKeyId"] = AdminTestDatabase.KeyId,
            [$"Sync:Storage:EncryptionKeys:{AdminTestDatabase.KeyId}"] = AdminTestDatabase.NewKey(),
        };
    }

    [TestCase("installations", "list")]
    [TestCase("migrate")]
    [TestCase("keys", "rotate")]
    public async Task Should_exit_with_code_2(params string[] args)
    {
        var result = await AdminTestDatabase.RunWithSettingsAsync(_settings, "", args);

        Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.RuntimeFailure), result.AllOutput);
    }

    [Test]
    public async Task Should_write_one_clear_line_without_a_stack_trace()
    {
        var result = await AdminTestDatabase.RunWithSettingsAsync(_settings, "", "installations", "list");

        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(1), result.Stderr);
            Assert.That(lines[0], Does.StartWith("error: cannot reach the database"));
            Assert.That(result.Stderr, Does.Not.Contain("not-shown"));
        });
    }

    [Test]
    public async Task Should_show_the_stack_trace_when_verbose()
    {
        var result = await AdminTestDatabase.RunWithSettingsAsync(_settings, "", "installations", "list", "--verbose");

        Assert.That(result.Stderr, Does.Contain("   at "));
    }
}
