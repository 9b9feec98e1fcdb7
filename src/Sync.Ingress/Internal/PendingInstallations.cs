using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>
/// The spool of OAuth installations the database would not take: one file per location in
/// <see cref="OAuthInstallOptions.PendingDirectory"/>, holding a small JSON envelope (location id, key id, when it was
/// kept) around the installation encrypted by <see cref="ITokenProtector"/>, bound to the location. A file is written to
/// a temporary name and renamed over the location's file, so a reader sees the older install or the newer one, never
/// half of either. Callers serialise writes (<see cref="InstallationRecorder"/>).
/// </summary>
internal sealed class PendingInstallations
{
    /// <summary>The protector purpose of a kept installation.</summary>
    public const string Purpose = "pending-oauth-installation";

    private const int FormatVersion = 1;
    private const string Extension = ".json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly ITokenProtector _protector;
    private readonly TimeProvider _time;

    public PendingInstallations(IOptions<IngressOptions> options, IHostEnvironment environment, ITokenProtector protector, TimeProvider time)
    {
        _protector = protector;
        _time = time;
        DirectoryPath = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.OAuth.PendingDirectory));
    }

    /// <summary>The absolute path of the spool directory.</summary>
    public string DirectoryPath { get; }

    /// <summary>Creates the directory if missing (owner-only on Unix).</summary>
    public void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(DirectoryPath);
        }
        else
        {
            Directory.CreateDirectory(DirectoryPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The file that keeps <paramref name="locationId"/>'s installation.</summary>
    public string PathOf(string locationId)
    {
        // Readable for operators, and a hash of the exact id so ids that differ only in case or in characters a file
        // name cannot hold never share a file.
        var readable = new StringBuilder(Math.Min(locationId.Length, 64));
        foreach (var c in locationId.AsSpan(0, Math.Min(locationId.Length, 64)))
        {
            readable.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(locationId)))[..16];
        return Path.Combine(DirectoryPath, $"{readable}-{hash}{Extension}");
    }

    /// <summary>Writes (or replaces) the location's file; returns its path. Throws what the file system throws.</summary>
    public string Keep(Installation installation)
    {
        EnsureDirectory();
        var payload = JsonSerializer.Serialize(new Payload(
            installation.CompanyId, installation.AuthMode, installation.Status, installation.AccessToken, installation.RefreshToken,
            installation.AccessTokenExpiresAt, installation.UpdatedAt), Json);
        var ciphertext = _protector.Protect(payload, installation.LocationId, Purpose);
        var envelope = JsonSerializer.SerializeToUtf8Bytes(
            new Envelope(FormatVersion, installation.LocationId, _protector.KeyIdOf(ciphertext), _time.GetUtcNow(), ciphertext), Json);

        var path = PathOf(installation.LocationId);
        var temporary = Path.Combine(DirectoryPath, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, create))
            {
                stream.Write(envelope);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>The kept files (temporary files of a write in progress are not listed).</summary>
    public IReadOnlyList<string> List() =>
        Directory.Exists(DirectoryPath) ? Directory.GetFiles(DirectoryPath, "*" + Extension).Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>
    /// Reads a kept file: its bytes (to delete it later only if unchanged) and the installation. Throws
    /// <see cref="CryptographicException"/> when it cannot be decrypted, <see cref="InvalidDataException"/> when it is not
    /// a file this version reads, <see cref="FileNotFoundException"/> when it went away.
    /// </summary>
    public (byte[] Content, Installation Installation) Read(string path)
    {
        var content = File.ReadAllBytes(path);
        Envelope envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>(content, Json) ?? throw new InvalidDataException("The file is empty.");
        }
        catch (JsonException)
        {
            throw new InvalidDataException("The file is not a pending installation this version reads.");
        }

        if (envelope.Format != FormatVersion || string.IsNullOrEmpty(envelope.LocationId) || envelope.Installation is not { Length: > 0 })
        {
            throw new InvalidDataException($"The file is not a pending installation this version reads (format {envelope.Format}).");
        }

        var plaintext = _protector.Unprotect(envelope.Installation, envelope.LocationId, Purpose);
        Payload payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(plaintext, Json) ?? throw new InvalidDataException("The installation is empty.");
        }
        catch (JsonException)
        {
            throw new InvalidDataException("The decrypted installation is not one this version reads.");
        }

        return (content, new Installation(
            envelope.LocationId, payload.CompanyId, payload.AuthMode, payload.Status, payload.AccessToken, payload.RefreshToken,
            payload.AccessTokenExpiresAt, payload.UpdatedAt));
    }

    /// <summary>The location id a file names, without decrypting it (null when it names none).</summary>
    public static string? LocationIdOf(byte[] content)
    {
        try
        {
            return JsonSerializer.Deserialize<Envelope>(content, Json)?.LocationId;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Deletes the file if it still holds <paramref name="content"/> (a newer install may have replaced it).</summary>
    public bool DeleteIfUnchanged(string path, byte[] content)
    {
        byte[] now;
        try
        {
            now = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return true;
        }

        if (!now.AsSpan().SequenceEqual(content))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Deletes the location's file, if any (its installation was stored directly).</summary>
    public void Discard(string locationId)
    {
        if (Directory.Exists(DirectoryPath))
        {
            File.Delete(PathOf(locationId));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed record Envelope(int Format, string LocationId, string KeyId, DateTimeOffset KeptAt, byte[] Installation);

    private sealed record Payload(
        string? CompanyId,
        AuthMode AuthMode,
        InstallationStatus Status,
        string? AccessToken,
        string? RefreshToken,
        DateTimeOffset? AccessTokenExpiresAt,
        DateTimeOffset UpdatedAt);
}
