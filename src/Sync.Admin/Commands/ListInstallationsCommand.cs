using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary><c>installations list</c>: every installation as a table or JSON. Tokens are never shown, only whether one is stored.</summary>
internal sealed class ListInstallationsCommand(AdminSession session)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Option<bool> _json = new("--json") { Description = "Write JSON (an array of objects) instead of a table." };

    public Command Build()
    {
        var command = new Command("list", "List installations: location, company, auth mode, status, token expiry (never the tokens).") { _json };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult.GetValue(_json), token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, bool json, CancellationToken cancellationToken)
    {
        var installations = await services.GetRequiredService<IInstallationStore>().ListAsync(cancellationToken);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var rows = installations.Select(i => new InstallationSummary(
            i.LocationId,
            i.CompanyId,
            i.AuthMode,
            i.Status,
            HasAccessToken: !string.IsNullOrEmpty(i.AccessToken),
            HasRefreshToken: !string.IsNullOrEmpty(i.RefreshToken),
            i.AccessTokenExpiresAt,
            i.UpdatedAt)).ToList();

        var output = session.Console.Output;
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(rows, Json));
        }
        else if (rows.Count == 0)
        {
            await output.WriteLineAsync("No installations.");
        }
        else
        {
            WriteTable(output, rows, now);
        }

        return AdminExitCodes.Success;
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<InstallationSummary> rows, DateTimeOffset now)
    {
        string[] header = ["LOCATION", "COMPANY", "AUTH", "STATUS", "TOKEN EXPIRES (UTC)", "UPDATED (UTC)"];
        var cells = rows.Select(r => new[]
        {
            r.LocationId,
            r.CompanyId ?? "-",
            r.AuthMode == AuthMode.PrivateIntegration ? "private-integration" : "oauth",
            r.Status.ToString(),
            Expiry(r, now),
            Time(r.UpdatedAt),
        }).ToList();

        var widths = header.Select((h, column) => Math.Max(h.Length, cells.Max(c => c[column].Length))).ToArray();
        output.WriteLine(Line(header, widths));
        foreach (var row in cells)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    private static string Expiry(InstallationSummary row, DateTimeOffset now)
    {
        if (!row.HasAccessToken)
        {
            return "no token";
        }

        if (row.AccessTokenExpiresAt is not { } expires)
        {
            return row.AuthMode == AuthMode.PrivateIntegration ? "never" : "-";
        }

        return expires <= now ? $"{Time(expires)} (expired)" : Time(expires);
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, column) => column == cells.Count - 1 ? cell : cell.PadRight(widths[column]))).TrimEnd();

    /// <summary>One installation as shown: everything but the tokens themselves.</summary>
    private sealed record InstallationSummary(
        string LocationId,
        string? CompanyId,
        AuthMode AuthMode,
        InstallationStatus Status,
        bool HasAccessToken,
        bool HasRefreshToken,
        DateTimeOffset? AccessTokenExpiresAt,
        DateTimeOffset UpdatedAt);
}
