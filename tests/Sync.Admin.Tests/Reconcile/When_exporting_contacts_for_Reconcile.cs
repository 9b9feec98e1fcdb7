using System.Diagnostics;
using System.Text.Json;
using Sync.HoopAi.Export;
using Sync.Sandbox;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>
/// <c>sync-admin contacts export</c> against a sandbox location of 12,000 contacts: past the 10,000 records page numbers
/// reach, resumed after the process is killed mid-export, only the fields asked for.
/// </summary>
public sealed class When_exporting_contacts_for_Reconcile
{
    private const int ContactCount = 12_000;
    private ReconcileSandbox _world = null!;
    private IReadOnlyList<string> _ids = [];
    private string _folder = "";
    private readonly System.Text.StringBuilder _childOutput = new();

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = await ReconcileSandbox.StartAsync();
        _ids = await _world.SeedAsync(ContactCount, "export");
        _folder = Directory.CreateTempSubdirectory("sync-export-").FullName;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _world.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public async Task Should_write_each_contact_exactly_once_across_the_10000_boundary()
    {
        var file = Path.Combine(_folder, "all.jsonl");

        var result = await _world.RunAsync("contacts", "export", "--location", _world.LocationId, "--out", file);

        Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
        var ids = Lines(file).Select(l => l.GetProperty("id").GetString()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Has.Count.EqualTo(ContactCount));
            Assert.That(ids.Distinct().Count(), Is.EqualTo(ContactCount));
            Assert.That(ids, Is.EqualTo(_ids));
            Assert.That(File.Exists(ContactExporter.CursorPath(file)), Is.False, "the resume record is removed when the export is complete");
            Assert.That(result.Stdout, Does.Contain("Exported 12,000 contact(s)"));
        }
    }

    [Test]
    public async Task Should_read_the_legacy_listing_when_asked()
    {
        var file = Path.Combine(_folder, "legacy.jsonl");

        var result = await _world.RunAsync("contacts", "export", "--location", _world.LocationId, "--out", file, "--legacy", "--fields", "id");

        Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
        Assert.That(Lines(file).Select(l => l.GetProperty("id").GetString()).ToList(), Is.EqualTo(_ids));
    }

    [Test]
    public async Task Should_write_only_the_fields_asked_for()
    {
        var file = Path.Combine(_folder, "fields.jsonl");

        var result = await _world.RunAsync("contacts", "export", "--location", _world.LocationId, "--out", file, "--fields", "id,email,lastName");

        Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
        var lines = Lines(file);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(lines.Select(l => string.Join(',', l.EnumerateObject().Select(p => p.Name))).Distinct(), Is.EqualTo(new[] { "id,email,lastName" }));
            Assert.That(lines[42].GetProperty("email").GetString(), Is.EqualTo("export42@example.com"));
        }
    }

    [Test]
    public async Task Should_resume_a_killed_export_without_duplicates()
    {
        var file = Path.Combine(_folder, "killed.jsonl");
        var record = ContactExporter.CursorPath(file);

        // Slow pages, so the process is surely mid-export when it is killed.
        _world.Sandbox.State.Faults.Set(new SandboxFaultOptions { LatencyMilliseconds = 30 });
        long recordedBeforeKill;
        try
        {
            using var process = StartCli("contacts", "export", "--location", _world.LocationId, "--out", file, "--page-size", "100");
            recordedBeforeKill = await WaitForRecordedCountAsync(record, process, atLeast: 2_000);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            _world.Sandbox.State.Faults.Clear();
        }

        // What a kill during a write leaves: half a line after the last recorded page.
        await File.AppendAllTextAsync(file, "{\"id\":\"torn-write-of-a-kil");

        var resumed = await _world.RunAsync("contacts", "export", "--location", _world.LocationId, "--out", file, "--page-size", "100");

        Assert.That(resumed.ExitCode, Is.Zero, resumed.AllOutput);
        var ids = Lines(file).Select(l => l.GetProperty("id").GetString()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(recordedBeforeKill, Is.LessThan(ContactCount), "the export was killed before it finished");
            Assert.That(resumed.Stdout, Does.Contain("resumed after"));
            Assert.That(ids, Has.Count.EqualTo(ContactCount));
            Assert.That(ids, Is.EqualTo(_ids));
        }
    }

    [Test]
    public async Task Should_refuse_to_resume_with_other_fields()
    {
        var file = Path.Combine(_folder, "mismatch.jsonl");
        await File.WriteAllTextAsync(file, "");
        await File.WriteAllTextAsync(ContactExporter.CursorPath(file),
            $$"""{"locationId":"{{_world.LocationId}}","mode":"search","fields":["id"],"pageSize":500,"cursor":null,"bytes":0,"count":0}""");

        var result = await _world.RunAsync("contacts", "export", "--location", _world.LocationId, "--out", file, "--fields", "email");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.AllOutput);
            Assert.That(result.Stderr, Does.Contain("unfinished export").And.Contain("--restart"));
        }
    }

    private static List<JsonElement> Lines(string file) =>
        File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<JsonElement>(l)).ToList();

    private Process StartCli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AdminDll());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _world.Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment.Remove("DOTNET_ENVIRONMENT");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_childOutput) { _childOutput.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_childOutput) { _childOutput.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    // sync-admin as built beside this test (same configuration and framework), run from its own folder as an operator runs it.
    private static string AdminDll()
    {
        var testFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testFolder.Name;
        var configuration = testFolder.Parent!.Name;
        for (var directory = testFolder; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sync.sln")))
            {
                var dll = Path.Combine(directory.FullName, "src", "Sync.Admin", "bin", configuration, framework, "sync-admin.dll");
                Assert.That(File.Exists(dll), Is.True, $"sync-admin is not built at {dll}");
                return dll;
            }
        }

        throw new InvalidOperationException("Sync.sln not found above " + AppContext.BaseDirectory);
    }

    private async Task<long> WaitForRecordedCountAsync(string record, Process process, long atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                lock (_childOutput)
                {
                    Assert.Fail($"the export ended before it could be killed: {_childOutput}");
                }
            }

            try
            {
                var count = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(record)).GetProperty("count").GetInt64();
                if (count >= atLeast)
                {
                    return count;
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Not written yet, or being replaced.
            }

            await Task.Delay(20);
        }

        Assert.Fail("the export recorded no progress within a minute");
        return 0;
    }
}
